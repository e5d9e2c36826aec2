// The roots the app manages, as a root rotation moves them through their states. One root is `current` (it signs);
// roots in `pending`, `current` and `retiring` are trusted (on every gateway); `retired` and `withdrawn` roots are
// removed from the gateways, and the revocations they issued go with them. Pure: the registry table persists it.

export const ROOT_STATES = ["pending", "current", "retiring", "retired", "withdrawn"] as const;
export type RootState = (typeof ROOT_STATES)[number];

/** One managed root: a Key Vault certificate whose name is also the root's entry name on every gateway. */
export interface ManagedRoot {
  /** Key Vault certificate name, and the gateway's root entry name. */
  readonly name: string;
  readonly state: RootState;
  /** Uppercase SHA-1 hex of the root certificate; absent until its bootstrap has finished. */
  readonly thumbprint?: string;
  /** ISO 8601; absent until its bootstrap has finished. */
  readonly notAfter?: string;
  /** The rotation that created it (absent for the first root, CA_ROOT_NAME). */
  readonly rotationId?: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601. */
  readonly updatedAt: string;
}

/** States whose root is on every gateway. */
export const TRUSTED_STATES: readonly RootState[] = ["pending", "current", "retiring"];

export function isTrusted(state: RootState): boolean {
  return TRUSTED_STATES.includes(state);
}

/**
 * The moves a root may make. pending -> current when a rotation promotes it, pending -> withdrawn when a rotation is
 * cancelled before that; current -> retiring when another root is promoted; retiring -> current when a rotation is
 * cancelled after the promotion (the old root signs again); retiring -> retired when a rotation ends. Retired and
 * withdrawn are final: a root that left the gateways never comes back.
 */
const MOVES: Readonly<Record<RootState, readonly RootState[]>> = {
  pending: ["current", "withdrawn"],
  current: ["retiring"],
  retiring: ["current", "retired"],
  retired: [],
  withdrawn: [],
};

export function canMoveRoot(from: RootState, to: RootState): boolean {
  return from === to || MOVES[from].includes(to);
}
