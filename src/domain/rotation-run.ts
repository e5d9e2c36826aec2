// One root rotation's run: its instance id, its input (what the orchestrator must not read from config) and the pure
// decisions it makes (may it still be cancelled, what a cancellation undoes, its public outcome). Pure: no I/O.
import { ROTATION_STEPS } from "./root-rotation";
import type { RotationOutcome, RotationStep, RotationTrigger } from "./root-rotation";
import type { AuditEntry } from "./ledger";
import type { RequestRecordInput } from "./requests";

export const ROOT_ROTATION_ORCHESTRATION = "rootRotation";
/** Every rotation instance id starts with this. */
export const ROTATION_INSTANCE_PREFIX = "root-rotation-";
/** The external event that cancels a rotation (until its old root's retirement begins). */
export const CANCEL_ROTATION_EVENT = "cancelRotation";

/**
 * The instance of the `attempt`th rotation away from the root `currentRoot`: two starts at once compute the same id
 * (one instance runs), a failed one is started again under its id (it resumes), and after one completed (or was
 * cancelled) the next attempt has the next number.
 */
export function rotationInstanceId(currentRoot: string, attempt: number): string {
  return `${ROTATION_INSTANCE_PREFIX}${currentRoot}-${attempt}`;
}

export interface RotationSettings {
  readonly graceDays: number;
  /** ROOT_ROTATION_RETIRE_AT_PERCENT; absent in inputs from before it (the wait then ends only by collection or grace). */
  readonly retireAtPercent?: number;
  readonly batchSize: number;
  readonly pollSeconds: number;
  readonly collectionCheckMinutes: number;
  readonly gatewayDeadlineHours: number;
}

export interface RotationInput {
  /** The public request id; also the rotation id the root registry keys the new root on. */
  readonly rotationId: string;
  readonly trigger: RotationTrigger;
  readonly actor: string;
  readonly reason: string;
  readonly requestedAt: string;
  readonly gatewayIds: readonly string[];
  readonly settings: RotationSettings;
  /** The request's record, which the instance writes first (absent in instances started before it existed). */
  readonly record?: RequestRecordInput;
  /**
   * The flow's revision when the rotation started (ROTATION_REVISION); absent (0) in instances started before there was
   * one. Steps added later run only for inputs at or past their revision, so a running instance's history replays.
   */
  readonly revision?: number;
}

/**
 * The rotation flow's revision. 1: the start's `rotation.accepted` audit written by the instance too (the start's own
 * write can be lost), and the wait for the issuances running across the promotion, with a last listing of the users
 * to reissue before the retirement.
 */
export const ROTATION_REVISION = 1;

/** The audit of a started rotation: the start path and the instance write the same entry (the first write stands). */
export function rotationAcceptedAudit(
  input: Pick<RotationInput, "rotationId" | "actor" | "reason" | "trigger" | "requestedAt">,
): AuditEntry {
  return {
    id: `${input.rotationId}:accepted:${input.requestedAt}`,
    at: new Date(input.requestedAt),
    actor: input.actor,
    action: "rotation.accepted",
    subject: "root",
    reason: input.reason,
    source: input.trigger,
    requestId: input.rotationId,
    details: { trigger: input.trigger },
  };
}

/** What the cancel event carries. */
export interface CancelRotation {
  readonly actor: string;
  readonly reason: string;
}

/** The steps from which a cancellation is refused: the old root is being (or has been) retired. */
const PAST_CANCELLING: readonly RotationStep[] = ["retiring-old-root", "pruning-revocations", "done"];

export function mayCancel(step: string | null | undefined): boolean {
  if (step === null || step === undefined) return true;
  return !(PAST_CANCELLING as readonly string[]).includes(step) && (ROTATION_STEPS as readonly string[]).includes(step);
}

/** What a cancellation undoes: before the promotion the new root is withdrawn, after it the old root restored. */
export function cancellationUndo(promoted: boolean): "withdraw" | "restore" {
  return promoted ? "restore" : "withdraw";
}

export interface RootRef {
  readonly name: string;
  readonly thumbprint: string;
}

/** The rotation's output: RotationOutcome, and its roots flattened so the request view can show them by field name. */
export type RotationResult = RotationOutcome & {
  readonly oldRootName?: string;
  readonly oldRootThumbprint?: string;
  readonly newRootName?: string;
  readonly newRootThumbprint?: string;
};

export function rotationResult(outcome: RotationOutcome): RotationResult {
  return {
    ...outcome,
    ...(outcome.oldRoot === undefined
      ? {}
      : { oldRootName: outcome.oldRoot.name, oldRootThumbprint: outcome.oldRoot.thumbprint }),
    ...(outcome.newRoot === undefined
      ? {}
      : { newRootName: outcome.newRoot.name, newRootThumbprint: outcome.newRoot.thumbprint }),
  };
}

/** Whether the schedule rotates a root expiring at `notAfter` (ISO) now: within `beforeDays` of it; 0 never. */
export function rotationDue(notAfter: string, now: Date, beforeDays: number): boolean {
  const expires = Date.parse(notAfter);
  if (beforeDays <= 0 || Number.isNaN(expires)) return false;
  return expires - now.getTime() <= beforeDays * 86_400_000;
}
