// Activity: returns the root CA, creating it in Key Vault on first use (idempotent; audited once). The bootstrap is
// serialised across app instances by a blob lease, so a burst of issuances after a deploy makes one root, one key.
import { defineActivity } from "./define";
import { outcomeOf } from "./ca-outcome";
import type { CaOutcome } from "./ca-outcome";
import { services } from "./services";
import { rootBootstrapLock } from "../clients/blob-lease-lock";
import { ensureRootCaDetailed } from "../clients/key-vault-ca";
import type { RootCa } from "../clients/key-vault-ca";

export async function ensureRootAudited(actor: string): Promise<RootCa> {
  const { config, keyVault, ledger } = services();
  const { root, bootstrapped } = await ensureRootCaDetailed(keyVault, config, new Date(), {
    lock: rootBootstrapLock(config),
  });
  if (!bootstrapped) return root;
  await ledger.appendAudit({
    id: `root:${root.thumbprint}:created`,
    at: new Date(),
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
