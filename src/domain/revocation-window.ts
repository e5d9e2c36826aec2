// Which revoked certificates the gateways must still hold. A revoked entry may leave a gateway only once its
// certificate has expired by the GATEWAY's clock, which we cannot read: so it is pruned only after notAfter plus a
// margin (GATEWAY_PRUNE_MARGIN_HOURS), never at notAfter by our own clock, and until then it is also (re)added.
import type { RevocationInfo } from "./gateway-config";
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

/** A revoked certificate as the revocation index gives it. */
export interface RevokedEntryFacts {
  readonly thumbprint: string;
  readonly userKey: string;
  readonly rootThumbprint?: string;
  readonly notAfter?: Date;
}

export interface IndexedWindow extends RevocationWindow {
  /** The issuing root and expiry of every entry read, for the planner (DesiredState.revocationInfo). */
  readonly revocationInfo: Record<string, RevocationInfo>;
}

/**
 * The window over index entries: `trusted` entries (of roots on the gateways) are revoked or, past the margin, expired;
 * `others` (of retired roots) only say which root issued them, so the planner prunes their entries.
 */
export function indexedWindow(
  trusted: readonly RevokedEntryFacts[],
  others: readonly RevokedEntryFacts[],
  now: Date,
  marginMs: number,
): IndexedWindow {
  const cutoff = pruneCutoff(now, marginMs).getTime();
  const revoked = new Set<string>();
  const expired = new Set<string>();
  const revokedUsers: Record<string, string> = {};
  const revocationInfo: Record<string, RevocationInfo> = {};
  for (const e of [...others, ...trusted]) {
    const thumbprint = e.thumbprint.toUpperCase();
    revocationInfo[thumbprint] = {
      ...(e.rootThumbprint === undefined ? {} : { rootThumbprint: e.rootThumbprint.toUpperCase() }),
      ...(e.notAfter === undefined ? {} : { notAfter: e.notAfter.toISOString() }),
    };
  }
  for (const e of trusted) {
    const thumbprint = e.thumbprint.toUpperCase();
    if (e.notAfter !== undefined && e.notAfter.getTime() <= cutoff) {
      expired.add(thumbprint);
    } else {
      revoked.add(thumbprint);
      revokedUsers[thumbprint] = e.userKey;
    }
  }
  return {
    revokedThumbprints: [...revoked].sort(),
    expiredThumbprints: [...expired].filter((t) => !revoked.has(t)).sort(),
    revokedUsers,
    revocationInfo,
  };
}
