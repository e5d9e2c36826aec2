// Which revocations one gateway write carries: hand-added entries always; the app's own only while their issuing root
// is on the gateway and they have not expired past the margin; and, when more are wanted than the gateway's 300
// entries hold, the ones that stay valid longest (those that expire soonest are left off and named). Pure.
import { isAppOwnedRevocation, MAX_REVOKED_CERTIFICATES, revokedEntryName } from "./gateway-config";
import type { DesiredState, LeftOffRevocation, RevocationInfo, RevokedEntry, RootEntry } from "./gateway-config";
import { normaliseThumbprint, parseThumbprint, thumbprintOf } from "./thumbprint";

export interface RevocationPlan {
  readonly revoked: readonly RevokedEntry[];
  readonly addedRevocations: readonly string[];
  readonly prunedRevocations: readonly string[];
  readonly leftOff: readonly LeftOffRevocation[];
}

/** What is on the gateway is compared, never rejected: an odd hand-made entry is kept as it is. */
export function comparable(thumbprint: string): string {
  const parsed = parseThumbprint(thumbprint);
  return parsed.ok ? parsed.thumbprint : thumbprint.toUpperCase();
}

/** The thumbprints of the roots' certificates (SHA-1 of the DER in publicCertData); unreadable data gives none. */
export function rootThumbprints(roots: readonly RootEntry[]): ReadonlySet<string> {
  const result = new Set<string>();
  for (const root of roots) {
    const der = Buffer.from(root.publicCertData, "base64");
    if (der.length > 0) result.add(thumbprintOf(der));
  }
  return result;
}

/** One app-owned revocation competing for room: on the gateway already, or to be added. */
interface Candidate {
  readonly thumbprint: string;
  readonly notAfterMs: number;
  readonly notAfter?: string;
  readonly onGateway: boolean;
}

export function planRevocations(
  actual: readonly RevokedEntry[],
  desired: DesiredState,
  trustedRoots: ReadonlySet<string>,
): RevocationPlan {
  const info = infoByThumbprint(desired.revocationInfo);
  // A revocation whose issuing root is known and not on the gateway protects nothing: that root's certificates cannot
  // connect. One whose root the ledger does not know is kept (the harmless reading).
  const untrusted = (thumbprint: string): boolean => {
    const root = info.get(thumbprint)?.rootThumbprint;
    return root !== undefined && !trustedRoots.has(comparable(root));
  };
  const wanted = new Set(desired.revokedThumbprints.map(normaliseThumbprint));
  const expired = new Set(desired.expiredThumbprints.map(normaliseThumbprint));
  const present = new Set<string>();
  const kept: RevokedEntry[] = [];
  const candidates: Candidate[] = [];
  const prunedRevocations: string[] = [];
  let handAdded = 0;
  for (const entry of actual) {
    const thumbprint = comparable(entry.thumbprint);
    if (!isAppOwnedRevocation(entry)) {
      handAdded++;
      present.add(thumbprint);
      kept.push(entry);
      continue;
    }
    if ((!wanted.has(thumbprint) && expired.has(thumbprint)) || untrusted(thumbprint)) {
      prunedRevocations.push(thumbprint);
      continue;
    }
    present.add(thumbprint);
    kept.push(entry);
    candidates.push(candidate(thumbprint, info, true));
  }
  for (const thumbprint of [...wanted].sort()) {
    if (present.has(thumbprint) || untrusted(thumbprint)) continue;
    candidates.push(candidate(thumbprint, info, false));
  }

  const room = Math.max(0, MAX_REVOKED_CERTIFICATES - handAdded);
  const leftOut = new Set<string>();
  const leftOff: LeftOffRevocation[] = [];
  if (candidates.length > room) {
    // Over capacity: the entries that stay valid longest win (unknown expiry ranks longest, the harmless reading);
    // the order is total (thumbprint breaks ties), so the next pass over the written state chooses the same ones.
    const ranked = [...candidates].sort(
      (a, b) => b.notAfterMs - a.notAfterMs || (a.thumbprint < b.thumbprint ? -1 : a.thumbprint > b.thumbprint ? 1 : 0),
    );
    for (const c of ranked.slice(room)) {
      leftOut.add(c.thumbprint);
      leftOff.push({
        thumbprint: c.thumbprint,
        ...(c.notAfter === undefined ? {} : { notAfter: c.notAfter }),
        wasOnGateway: c.onGateway,
      });
    }
    leftOff.sort((a, b) => (a.thumbprint < b.thumbprint ? -1 : a.thumbprint > b.thumbprint ? 1 : 0));
  }

  const revoked = kept.filter((e) => !isAppOwnedRevocation(e) || !leftOut.has(comparable(e.thumbprint)));
  const addedRevocations: string[] = [];
  for (const c of candidates) {
    if (c.onGateway || leftOut.has(c.thumbprint)) continue;
    revoked.push({ name: revokedEntryName(c.thumbprint), thumbprint: c.thumbprint });
    addedRevocations.push(c.thumbprint);
  }
  return { revoked, addedRevocations, prunedRevocations, leftOff };
}

function candidate(thumbprint: string, info: ReadonlyMap<string, RevocationInfo>, onGateway: boolean): Candidate {
  const notAfter = info.get(thumbprint)?.notAfter;
  const ms = notAfter === undefined ? Number.NaN : Date.parse(notAfter);
  return {
    thumbprint,
    notAfterMs: Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms,
    ...(notAfter === undefined ? {} : { notAfter }),
    onGateway,
  };
}

function infoByThumbprint(info: DesiredState["revocationInfo"]): ReadonlyMap<string, RevocationInfo> {
  const result = new Map<string, RevocationInfo>();
  for (const [thumbprint, value] of Object.entries(info ?? {})) result.set(comparable(thumbprint), value);
  return result;
}
