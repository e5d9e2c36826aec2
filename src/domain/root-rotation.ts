// Root rotation: what starts one, the steps it shows through the request resource, and what it reports. Pure.

/** Why a rotation started: an operator (POST /api/v1/roots/rotations), the schedule before the root expires, or the
 * revocation capacity policy (ROOT_ROTATION_AUTO). */
export const ROTATION_TRIGGERS = ["manual", "schedule", "capacity"] as const;
export type RotationTrigger = (typeof ROTATION_TRIGGERS)[number];

/**
 * The steps in order, shown as the request's `step`. A rotation can be cancelled until `retiring-old-root` begins.
 */
export const ROTATION_STEPS = [
  "creating-root",
  "adding-root-to-gateways",
  "regenerating-profiles",
  "switching-signing-root",
  "reissuing",
  "awaiting-collection",
  "retiring-old-root",
  "pruning-revocations",
  "done",
] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export interface RotationSubmission {
  readonly trigger: RotationTrigger;
  /** Audit label: "user:<upn>", "app:<id>", "system:schedule", "system:capacity". */
  readonly actor: string;
  readonly reason: string;
  /** The caller's object id (may read the request back). */
  readonly submitterObjectId?: string;
}

export interface RotationStarted {
  readonly requestId: string;
  readonly instanceId: string;
  /** False when a rotation was already running: it is joined, nothing new starts. */
  readonly started: boolean;
}

/** What a rotation reports at its end (its output; public data only). */
export interface RotationOutcome {
  readonly status: "completed" | "cancelled" | "failed";
  readonly oldRoot?: { readonly name: string; readonly thumbprint: string };
  readonly newRoot?: { readonly name: string; readonly thumbprint: string };
  /** Users whose certificate was reissued under the new root, and how many collected it before the retirement. */
  readonly reissued: number;
  readonly collected: number;
  readonly reason?: string;
}
