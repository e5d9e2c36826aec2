// Desired versus actual P2S configuration of one gateway: what the app owns, what it must preserve, and the one
// object to write. Pure, so the single writer's decisions are testable without a gateway.
import { isExpiredRoot, splitExpiredRoots } from "./expired-roots";
import type { ExpiredRoot } from "./expired-roots";
import { normaliseThumbprint, parseThumbprint } from "./thumbprint";

/** What is on the gateway is compared, never rejected: an odd hand-made entry is kept as it is. */
function comparable(thumbprint: string): string {
  const parsed = parseThumbprint(thumbprint);
  return parsed.ok ? parsed.thumbprint : thumbprint.toUpperCase();
}

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
  readonly prunedRevocations: readonly string[];
  readonly rootsAdded: readonly string[];
  readonly rootsUpdated: readonly string[];
  /**
   * Expired roots left out of `next` (Azure refuses a PUT that carries one). Not a change by itself: a write, which
   * can disconnect P2S users, is never made only to remove them; they go with the next write.
   */
  readonly rootsRemoved: readonly ExpiredRoot[];
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
 * Computes the next state: managed roots present with current data, every desired revocation present, app-owned
 * revocations that are no longer desired pruned only when expired, hand-added entries untouched, and, given `now`,
 * every root whose certificate has expired left out. Throws GatewayCapacityError rather than drop anything valid.
 */
export function planSync(actual: P2sCertificateState, desired: DesiredState, now?: Date): SyncPlan {
  const plan = planUnchecked(actual, desired, now);
  if (plan.next.roots.length > MAX_ROOT_CERTIFICATES) {
    throw new GatewayCapacityError("roots", plan.next.roots.length, MAX_ROOT_CERTIFICATES);
  }
  if (plan.next.revoked.length > MAX_REVOKED_CERTIFICATES) {
    throw new GatewayCapacityError("revocations", plan.next.revoked.length, MAX_REVOKED_CERTIFICATES);
  }
  return plan;
}

/** How many changes the writer still has to apply (revocations to add or prune, roots to add or update), limits aside. */
export function pendingChangeCount(actual: P2sCertificateState, desired: DesiredState, now?: Date): number {
  const plan = planUnchecked(actual, desired, now);
  return (
    plan.addedRevocations.length + plan.prunedRevocations.length + plan.rootsAdded.length + plan.rootsUpdated.length
  );
}

function planUnchecked(actual: P2sCertificateState, desired: DesiredState, now: Date | undefined): SyncPlan {
  const roots = [...actual.roots];
  const rootsAdded: string[] = [];
  const rootsUpdated: string[] = [];
  // An expired managed root is not wanted either: sending it would fail the whole write.
  for (const want of liveRoots(desired.roots, now)) {
    const i = roots.findIndex((r) => r.name.toLowerCase() === want.name.toLowerCase());
    if (i < 0) {
      roots.push(want);
      rootsAdded.push(want.name);
    } else if (roots[i]?.publicCertData !== want.publicCertData) {
      roots[i] = want;
      rootsUpdated.push(want.name);
    }
  }

  const wanted = new Set(desired.revokedThumbprints.map(normaliseThumbprint));
  const expired = new Set(desired.expiredThumbprints.map(normaliseThumbprint));
  const present = new Set<string>();
  const revoked: RevokedEntry[] = [];
  const prunedRevocations: string[] = [];
  for (const entry of actual.revoked) {
    const thumbprint = comparable(entry.thumbprint);
    if (isAppOwnedRevocation(entry) && !wanted.has(thumbprint) && expired.has(thumbprint)) {
      prunedRevocations.push(thumbprint);
      continue;
    }
    present.add(thumbprint);
    revoked.push(entry);
  }
  const addedRevocations: string[] = [];
  for (const thumbprint of [...wanted].sort()) {
    if (present.has(thumbprint)) continue;
    revoked.push({ name: revokedEntryName(thumbprint), thumbprint });
    addedRevocations.push(thumbprint);
  }
  const changed = rootsAdded.length + rootsUpdated.length + addedRevocations.length + prunedRevocations.length > 0;
  const split = now === undefined ? { kept: roots, expired: [] } : splitExpiredRoots(roots, now);
  return {
    next: { roots: split.kept, revoked },
    changed,
    addedRevocations,
    prunedRevocations,
    rootsAdded,
    rootsUpdated,
    rootsRemoved: split.expired,
  };
}

function liveRoots(roots: readonly RootEntry[], now: Date | undefined): readonly RootEntry[] {
  return now === undefined ? roots : roots.filter((r) => !isExpiredRoot(r, now));
}

/**
 * True when every desired root and revocation is on the gateway (the post-write verification). Given `now`, a desired
 * root that has expired is not expected (the planner leaves it out).
 */
export function satisfies(actual: P2sCertificateState, desired: DesiredState, now?: Date): boolean {
  const present = new Set(actual.revoked.map((r) => comparable(r.thumbprint)));
  const rootsOk = liveRoots(desired.roots, now).every((want) =>
    actual.roots.some(
      (r) => r.name.toLowerCase() === want.name.toLowerCase() && r.publicCertData === want.publicCertData,
    ),
  );
  return rootsOk && desired.revokedThumbprints.every((t) => present.has(normaliseThumbprint(t)));
}
