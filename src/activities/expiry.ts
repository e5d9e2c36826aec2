// Activities of expiryCheck: read what expires (no side effect), mark expired ledger entries, track a gateway's
// revocation capacity line. Each takes the orchestration's `now`, so the check judges one instant (and a virtual
// clock in tests).
import { defineActivity } from "./define";
import { services } from "./services";
import { alertTable } from "./alert";
import { LedgerConflictError } from "../clients/ledger";
import { scanExpiry } from "../clients/expiry-scan";
import type { ExpiryScan } from "../clients/expiry-scan";
import { certificatesToExpire } from "../domain/expiry";

export const collectExpiry = defineActivity<{ readonly now: string }, ExpiryScan>("collectExpiry", ({ now }) => {
  const { config, ledger, keyVault, gateways, roots } = services();
  return scanExpiry(config, { ledger, keyVault, gateways, roots }, new Date(now));
});

/** Marks active and superseded entries whose certificate has expired `expired`; answers how many it marked. */
export const expireCertificates = defineActivity<{ readonly now: string }, number>(
  "expireCertificates",
  async ({ now }, context) => {
    const { ledger } = services();
    const at = new Date(now);
    const candidates = certificatesToExpire(
      [...(await ledger.listByStatus("active")), ...(await ledger.listByStatus("superseded"))],
      at,
    );
    let marked = 0;
    for (const record of candidates) {
      try {
        await ledger.putCertificate({ ...record, status: "expired", updatedAt: at });
        marked++;
      } catch (error) {
        // Revoked meanwhile: revoked stays revoked (its record keeps the reason).
        if (!(error instanceof LedgerConflictError)) throw error;
        context.log(`expireCertificates: ${record.certificateName} changed meanwhile: ${error.message}`);
      }
    }
    return marked;
  },
);

/** Records whether the gateway is at or above the capacity line; answers the crossing number (see AlertTable). */
export const trackRevocationCapacity = defineActivity<{ readonly gatewayId: string; readonly above: boolean }, number>(
  "trackRevocationCapacity",
  ({ gatewayId, above }) => alertTable().trackCapacity(gatewayId, above),
);
