// Activity: returns the signing root, the root registry's current one, creating it in Key Vault on first use
// (idempotent; audited once). The bootstrap is serialised across app instances by a blob lease per root name, so a
// burst of issuances after a deploy makes one root, one key.
import { defineActivity } from "./define";
import { outcomeOf } from "./ca-outcome";
import type { CaOutcome } from "./ca-outcome";
import { services } from "./services";
import { ensureRootCaDetailed } from "../clients/key-vault-ca";
import type { RootCa } from "../clients/key-vault-ca";
import { rootCaConfig, rootLock } from "../clients/managed-roots";

export async function ensureRootAudited(actor: string): Promise<RootCa> {
  const { config, keyVault, ledger, roots } = services();
  const now = new Date();
  // With an empty registry this registers CA_ROOT_NAME as current: a single-root deployment signs as before.
  const current = await roots.current();
  const { root, bootstrapped } = await ensureRootCaDetailed(keyVault, rootCaConfig(config, current), now, {
    lock: rootLock(config, current.name),
  });
  // The registry keeps the root's public data (GET /api/v1/roots reads it once the root is disabled).
  if (current.thumbprint !== root.thumbprint) await roots.recordCertificate(current.name, root, now);
  if (!bootstrapped) return root;
  await ledger.appendAudit({
    id: `root:${root.thumbprint}:created`,
    at: now,
    actor,
    action: "root.created",
    subject: "root",
    reason: "configured root absent",
    source: "bootstrap",
    details: { name: root.name, thumbprint: root.thumbprint, notAfter: root.notAfter },
  });
  return root;
}

export const ensureRoot = defineActivity<{ readonly actor: string }, CaOutcome<RootCa>>("ensureRoot", ({ actor }) =>
  outcomeOf(() => ensureRootAudited(actor)),
);
