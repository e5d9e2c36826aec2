// Activity: returns the root CA, creating it in Key Vault on first use (idempotent; audited once).
import { defineActivity } from "./define";
import { services } from "./services";
import { ensureRootCa, getRootCa } from "../clients/key-vault-ca";
import type { RootCa } from "../clients/key-vault-ca";

export async function ensureRootAudited(actor: string): Promise<RootCa> {
  const { config, keyVault, ledger } = services();
  const existing = await getRootCa(keyVault, config);
  if (existing !== undefined) return existing;
  const root = await ensureRootCa(keyVault, config, new Date());
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

export const ensureRoot = defineActivity<{ readonly actor: string }, RootCa>("ensureRoot", ({ actor }) =>
  ensureRootAudited(actor),
);
