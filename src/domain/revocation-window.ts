// Which revoked certificates the gateways must still hold. A revoked entry may leave a gateway only once its
// certificate has expired by the GATEWAY's clock, which we cannot read: so it is pruned only after notAfter plus a
// margin (GATEWAY_PRUNE_MARGIN_HOURS), never at notAfter by our own clock, and until then it is also (re)added.
import type { CertificateRecord } from "./ledger";
import { revokedThumbprints } from "./ledger";

export interface RevocationWindow {
  /** Thumbprints every gateway must list: revoked, and not expired for longer than the margin. */
  readonly revokedThumbprints: string[];
  /** Thumbprints of revoked certificates expired for longer than the margin: their app-owned entries are pruned. */
  readonly expiredThumbprints: string[];
  /** UPN (lower case) of each thumbprint in revokedThumbprints, to find the sessions to end. */
  readonly revokedUsers: Record<string, string>;
}

/** The instant before which a certificate's notAfter lets its revocation be pruned. */
export function pruneCutoff(now: Date, marginMs: number): Date {
  return new Date(now.getTime() - marginMs);
}

export function revocationWindow(revoked: readonly CertificateRecord[], now: Date, marginMs: number): RevocationWindow {
  const cutoff = pruneCutoff(now, marginMs);
  const revokedUsers: Record<string, string> = {};
  const expiredThumbprints: string[] = [];
  for (const r of revoked) {
    if (r.status !== "revoked" || r.thumbprint === undefined) continue;
    if (r.notAfter !== undefined && r.notAfter.getTime() <= cutoff.getTime()) expiredThumbprints.push(r.thumbprint);
    else revokedUsers[r.thumbprint] = r.userKey;
  }
  return { revokedThumbprints: revokedThumbprints(revoked, cutoff), expiredThumbprints, revokedUsers };
}
