// Desired versus actual P2S configuration of one gateway: what the app owns, what it must preserve, and the one
// object to write. Pure, so the single writer's decisions are testable without a gateway.
import { isExpiredRoot, splitExpiredRoots } from "./expired-roots";
import type { ExpiredRoot } from "./expired-roots";
import { normaliseThumbprint } from "./thumbprint";
import { planRevocations, rootThumbprints } from "./revocation-selection";

/** Gateway limits (azure-facts: includes/azure-virtual-network-limits.md). */
export const MAX_ROOT_CERTIFICATES = 20;
export const MAX_REVOKED_CERTIFICATES = 300;

/** Names the app gives the revocation entries it owns; anything else on the gateway was added by hand. */
export const REVOKED_NAME_PREFIX = "p2s-revoked-";

export interface RootEntry {
  readonly name: string;
  readonly publicCertData: string;
}

export interface RevokedEntry {
  readonly name: string;
  readonly thumbprint: string;
}

export interface P2sCertificateState {
  readonly roots: readonly RootEntry[];
  readonly revoked: readonly RevokedEntry[];
}

export interface DesiredState {
  /** Roots the app manages, by name; the gateway's other roots are preserved. */
  readonly roots: readonly RootEntry[];
  /** Thumbprints (uppercase hex) that must be revoked now: revoked in the ledger and not yet expired. */
  readonly revokedThumbprints: readonly string[];
  /** Thumbprints the ledger knows and that have expired: their app-owned entries are pruned. */
  readonly expiredThumbprints: readonly string[];
  /**
   * Managed roots no longer trusted (retired or withdrawn by a rotation): removed from the gateway when present. Only
   * names the app manages are ever listed; a root the app does not manage is never removed.
   */
  readonly retiredRootNames?: readonly string[];
  /**
   * What the ledger knows of revoked thumbprints (the desired ones, and those of retired roots): the root that issued
   * each, and when it expires. A revocation whose issuing root is not on the gateway is neither added nor kept (an
   * app-owned entry is pruned); one with no known root is kept. Over capacity, the entries that stay valid longest win.
   */
  readonly revocationInfo?: Readonly<Record<string, RevocationInfo>>;
}

/** A revoked certificate's issuing root and expiry, keyed by its thumbprint (uppercase hex). */
export interface RevocationInfo {
  /** Uppercase SHA-1 hex of the root that issued it; absent when the ledger does not know (older records). */
  readonly rootThumbprint?: string;
  /** ISO 8601. */
  readonly notAfter?: string;
}

export interface SyncPlan {
  readonly next: P2sCertificateState;
  readonly changed: boolean;
  readonly addedRevocations: readonly string[];
  /** App-owned entries removed: expired past the margin, or issued by a root that is not on the gateway any more. */
  readonly prunedRevocations: readonly string[];
  readonly rootsAdded: readonly string[];
  readonly rootsUpdated: readonly string[];
  /**
   * Expired roots left out of `next` (Azure refuses a PUT that carries one). Not a change by itself: a write, which
   * can disconnect P2S users, is never made only to remove them; they go with the next write.
   */
  readonly rootsRemoved: readonly ExpiredRoot[];
  /** Managed roots removed because they are retired (names as on the gateway). A change: the write removes them. */
  readonly rootsRetired: readonly string[];
  /**
   * Revocations over the gateway's 300 entries, left off the write: the ones that expire soonest (hand-added entries
   * always stay). Empty unless the gateway is over capacity. Not pending: a left-off revocation is not retried.
   */
  readonly leftOff: readonly LeftOffRevocation[];
}

/** A revocation the gateway has no room for. */
export interface LeftOffRevocation {
  /** Uppercase SHA-1 hex. */
  readonly thumbprint: string;
  /** ISO 8601; absent when the ledger does not know it (such an entry ranks as valid longest, so it is rarely here). */
  readonly notAfter?: string;
  /** True when the entry was on the gateway and this write removes it to make room for one that stays valid longer. */
  readonly wasOnGateway: boolean;
}

export class GatewayCapacityError extends Error {
  override readonly name = "GatewayCapacityError";
  constructor(
    readonly limit: "roots" | "revocations",
    readonly needed: number,
    readonly capacity: number,
  ) {
    super(
      limit === "revocations"
        ? `the gateway would need ${needed} revoked certificates but holds at most ${capacity}: nothing was written and nothing was dropped; shorten client certificate validity or remove hand-added entries`
        : `the gateway would need ${needed} root certificates but holds at most ${capacity}: nothing was written`,
    );
  }
}

/** The entry name the app uses for a revoked thumbprint: stable, so re-adding it is idempotent. */
export function revokedEntryName(thumbprint: string): string {
  return `${REVOKED_NAME_PREFIX}${normaliseThumbprint(thumbprint)}`;
}

export function isAppOwnedRevocation(entry: RevokedEntry): boolean {
  return entry.name.startsWith(REVOKED_NAME_PREFIX);
}

/**
 * Computes the next state: managed roots present with current data and retired ones removed, every desired revocation
 * present unless its issuing root is not on the gateway, app-owned revocations pruned only when expired or issued by a
 * root that is gone, hand-added entries untouched, and, given `now`, every root whose certificate has expired left out.
 * Over 300 revocations it keeps the entries that stay valid longest and names the others (`leftOff`); over 20 roots
 * it throws GatewayCapacityError.
 */
export function planSync(actual: P2sCertificateState, desired: DesiredState, now?: Date): SyncPlan {
  const plan = planUnchecked(actual, desired, now);
  if (plan.next.roots.length > MAX_ROOT_CERTIFICATES) {
    throw new GatewayCapacityError("roots", plan.next.roots.length, MAX_ROOT_CERTIFICATES);
  }
  return plan;
}

/**
 * How many changes the writer still has to apply (revocations to add, prune or displace, roots to add, update or
 * retire), limits aside. A revocation left off for want of room is not pending.
 */
export function pendingChangeCount(actual: P2sCertificateState, desired: DesiredState, now?: Date): number {
  const plan = planUnchecked(actual, desired, now);
  return (
    plan.addedRevocations.length +
    plan.prunedRevocations.length +
    plan.leftOff.filter((l) => l.wasOnGateway).length +
    plan.rootsAdded.length +
    plan.rootsUpdated.length +
    plan.rootsRetired.length
  );
}

function planUnchecked(actual: P2sCertificateState, desired: DesiredState, now: Date | undefined): SyncPlan {
  const retired = new Set((desired.retiredRootNames ?? []).map((n) => n.toLowerCase()));
  const rootsRetired: string[] = [];
  const roots: RootEntry[] = [];
  for (const root of actual.roots) {
    if (retired.has(root.name.toLowerCase())) rootsRetired.push(root.name);
    else roots.push(root);
  }
  const rootsAdded: string[] = [];
  const rootsUpdated: string[] = [];
  // An expired managed root is not wanted either: sending it would fail the whole write. A retired one never returns.
  for (const want of liveRoots(desired.roots, now)) {
    if (retired.has(want.name.toLowerCase())) continue;
    const i = roots.findIndex((r) => r.name.toLowerCase() === want.name.toLowerCase());
    if (i < 0) {
      roots.push(want);
      rootsAdded.push(want.name);
    } else if (roots[i]?.publicCertData !== want.publicCertData) {
      roots[i] = want;
      rootsUpdated.push(want.name);
    }
  }
  const split = now === undefined ? { kept: roots, expired: [] } : splitExpiredRoots(roots, now);
  const revocations = planRevocations(actual.revoked, desired, rootThumbprints(split.kept));
  const changed =
    rootsAdded.length +
      rootsUpdated.length +
      rootsRetired.length +
      revocations.addedRevocations.length +
      revocations.prunedRevocations.length +
      revocations.leftOff.filter((l) => l.wasOnGateway).length >
    0;
  return {
    next: { roots: split.kept, revoked: revocations.revoked },
    changed,
    addedRevocations: revocations.addedRevocations,
    prunedRevocations: revocations.prunedRevocations,
    rootsAdded,
    rootsUpdated,
    rootsRemoved: split.expired,
    rootsRetired,
    leftOff: revocations.leftOff,
  };
}

function liveRoots(roots: readonly RootEntry[], now: Date | undefined): readonly RootEntry[] {
  return now === undefined ? roots : roots.filter((r) => !isExpiredRoot(r, now));
}

/**
 * True when every desired root and revocation is on the gateway and no retired root is (the post-write
 * verification), by the planner's own rules: a revocation of a root that is not on the gateway, or one left off for
 * want of room, is not expected. Given `now`, a desired root that has expired is not expected either.
 */
export function satisfies(actual: P2sCertificateState, desired: DesiredState, now?: Date): boolean {
  const plan = planUnchecked(actual, desired, now);
  return (
    plan.rootsAdded.length === 0 &&
    plan.rootsUpdated.length === 0 &&
    plan.rootsRetired.length === 0 &&
    plan.addedRevocations.length === 0
  );
}
