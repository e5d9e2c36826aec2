// rootRotation: moves every gateway and every active user from the current root to a new one, then retires the old
// root so that it, and every revocation it issued, leaves the gateways. One step at a time, each audited and shown as
// the request's `step`; every step is idempotent, keyed on the rotation id, so a rotation started again resumes.
// Cancellable (the cancelRotation event) until the old root's retirement begins.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { run } from "../activities/define";
import { ensureOwnRequestRecord } from "./own-request";
import { requestProfileRegenerationActivity } from "../activities/profile";
import { wakeGatewayWriters } from "../activities/revocation";
import {
  auditRotation,
  auditRotationAccepted,
  checkGatewayRoots,
  countRotationCollection,
  countUnissuedRenewals,
  rotationLeftoverRoots,
  rotationOldRoot,
  rotationRevocationPressure,
  startRotationRenewals,
} from "../activities/root-rotation-steps";
import type { RotationStep } from "../domain/root-rotation";
import {
  CANCEL_ROTATION_EVENT,
  ROOT_ROTATION_ORCHESTRATION,
  cancellationUndo,
  rotationResult,
} from "../domain/rotation-run";
import type { CancelRotation, RootRef, RotationInput, RotationResult } from "../domain/rotation-run";
import {
  createNextRoot,
  listUsersToReissue,
  promoteRoot,
  restoreRoot,
  retireRoot,
  withdrawRoot,
} from "../activities/root-rotation";
import type { CreatedRoot } from "../activities/root-rotation";
import { countUnfinishedIssuances, listIssuingCertificates } from "../activities/rotation-issuances";
import type { IssuingCertificate } from "../domain/issuance-drain";
import { describeFailure, failLoudly, failureKey } from "./fail-loudly";

export { ROOT_ROTATION_ORCHESTRATION } from "../domain/rotation-run";

const retry = new df.RetryOptions(5000, 8);
retry.backoffCoefficient = 2;
retry.maxRetryIntervalInMilliseconds = 5 * 60_000;

type Flow<T> = Generator<Task, T, unknown>;

/** Thrown inside the flow when the cancel event has arrived: the rotation undoes what it did and ends. */
class RotationCancelled extends Error {
  constructor(readonly request: CancelRotation) {
    super(`cancelled: ${request.reason}`);
  }
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** What the rotation has done so far: what a cancellation undoes and the outcome reports. */
interface Progress {
  oldRoot?: RootRef;
  newRoot?: CreatedRoot;
  promoted: boolean;
  reissued: number;
  collected: number;
}

export const rootRotation: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<RotationInput>();
  const { rotationId, actor, settings } = input;
  // Inputs from before revisions replay as 0: the steps added since are skipped for them.
  const revision = input.revision ?? 0;
  // One task for the whole run: an event that arrives while an activity runs completes it at the next wait.
  const cancel = context.df.waitForExternalEvent(CANCEL_ROTATION_EVENT);
  const progress: Progress = { promoted: false, reissued: 0, collected: 0 };
  let cancellable = true;

  const now = (): Date => context.df.currentUtcDateTime;
  const cancelled = (): RotationCancelled | undefined =>
    cancel.isCompleted ? new RotationCancelled((cancel.result as CancelRotation | undefined) ?? noReason) : undefined;

  /** Waits `ms` on a durable timer; while cancellable, the cancel event ends the wait (and the flow). */
  function* pause(ms: number): Flow<void> {
    const timer = context.df.createTimer(new Date(now().getTime() + Math.max(0, ms)));
    if (!cancellable) {
      yield timer;
      return;
    }
    const early = cancelled();
    if (early !== undefined) throw early;
    yield context.df.Task.any([cancel, timer]);
    const stop = cancelled();
    if (stop !== undefined) {
      timer.cancel();
      throw stop;
    }
  }

  /** Enters a step: the request shows it, the audit has it, and a cancellation that arrived meanwhile ends the flow. */
  function* enter(step: RotationStep, extra: Readonly<Record<string, string | number | boolean>> = {}): Flow<void> {
    if (cancellable) yield* pause(0);
    show(step, extra);
    yield* run(
      auditRotation,
      {
        rotationId,
        actor,
        action: "rotation.step",
        event: `step:${step}`,
        reason: input.reason,
        details: { ...extra, step },
      },
      retry,
    );
  }

  function show(step: string, extra: Record<string, unknown> = {}): void {
    context.df.setCustomStatus({
      step,
      ...(progress.oldRoot === undefined ? {} : { oldRoot: progress.oldRoot.name }),
      ...(progress.newRoot === undefined ? {} : { newRoot: progress.newRoot.name }),
      ...extra,
    });
  }

  /** Polls every gateway until `check` holds on all of them, within the gateway deadline. */
  function* untilGateways(what: string, trusted: readonly string[], absent: readonly string[]): Flow<void> {
    const deadline = now().getTime() + settings.gatewayDeadlineHours * HOUR_MS;
    let waiting = [...input.gatewayIds];
    for (;;) {
      const details: string[] = [];
      const still: string[] = [];
      for (const gatewayId of waiting) {
        const result = yield* run(checkGatewayRoots, { gatewayId, trusted, absent }, retry);
        if (!result.ok) {
          still.push(gatewayId);
          details.push(`${gatewayId.split("/").pop() ?? gatewayId}: ${result.detail}`);
        }
      }
      waiting = still;
      if (waiting.length === 0) return;
      if (now().getTime() >= deadline) {
        throw new Error(`${what}: not every gateway got there by the deadline (${details.join("; ")})`);
      }
      yield* pause(settings.pollSeconds * 1000);
    }
  }

  function* wakeWriters(reason: string): Flow<void> {
    // The writers read the root registry: each puts on its gateway what it now says (one PUT per gateway).
    yield* run(wakeGatewayWriters, { reason }, retry);
  }

  function* regenerateProfiles(reason: string): Flow<void> {
    for (const gatewayId of input.gatewayIds) {
      yield* run(requestProfileRegenerationActivity, { gatewayId, reason }, retry);
    }
  }

  /**
   * Waits out the issuances in `issuing` that may still finish, then gives every active user without a certificate of
   * the new root one, a batch at a time: the next batch starts once this one's certificates exist.
   */
  function* reissuePass(newRoot: CreatedRoot, issuing: readonly IssuingCertificate[]): Flow<void> {
    while (issuing.length > 0) {
      const unfinished = yield* run(
        countUnfinishedIssuances,
        { certificates: issuing, now: now().toISOString() },
        retry,
      );
      if (unfinished === 0) break;
      // Shown, so an operator sees why the rotation has not listed its users yet.
      show("reissuing", { reissued: progress.reissued, awaitingIssuances: unfinished });
      yield* pause(settings.pollSeconds * 1000);
    }
    let after: string | undefined;
    for (;;) {
      const page = yield* run(
        listUsersToReissue,
        { rootThumbprint: newRoot.thumbprint, limit: settings.batchSize, ...(after === undefined ? {} : { after }) },
        retry,
      );
      if (page.upns.length > 0) {
        const batch = yield* run(
          startRotationRenewals,
          {
            rotationId,
            actor,
            reason: `root rotation ${rotationId}: a certificate of the new root ${newRoot.name}`,
            upns: page.upns,
            now: now().toISOString(),
          },
          retry,
        );
        progress.reissued += batch.instanceIds.length;
        show("reissuing", { reissued: progress.reissued });
        const deadline = now().getTime() + settings.gatewayDeadlineHours * HOUR_MS;
        while ((yield* run(countUnissuedRenewals, { instanceIds: batch.instanceIds }, retry)) > 0) {
          // A renewal stuck this long is left to finish on its own: the batch pace is a courtesy to Key Vault.
          if (now().getTime() >= deadline) break;
          yield* pause(settings.pollSeconds * 1000);
        }
      }
      if (page.next === undefined) break;
      after = page.next;
    }
  }

  try {
    // 0. The request's record first: GET /api/v1/requests/{id}, the cancel route and a resumed start read it.
    yield* ensureOwnRequestRecord(context, input.record, retry);
    // The start's acceptance audit too: the start path writes it after its record, and that write may have failed.
    if (revision >= 1) {
      const { reason, trigger, requestedAt } = input;
      yield* run(auditRotationAccepted, { rotationId, actor, reason, trigger, requestedAt }, retry);
    }
    // 1. A new root in Key Vault (non-exportable key, the first root's bootstrap guarantees), registered `pending`.
    yield* enter("creating-root");
    progress.oldRoot = yield* run(rotationOldRoot, { rotationId }, retry);
    progress.newRoot = yield* run(createNextRoot, { rotationId, actor }, retry);
    const oldRoot = progress.oldRoot;
    const newRoot = progress.newRoot;

    // 2. Every gateway trusts both roots: the writers add the pending root; the rotation reads each gateway to see it.
    yield* enter("adding-root-to-gateways");
    yield* wakeWriters(`rotation ${rotationId}: add root ${newRoot.name}`);
    yield* untilGateways("adding the new root", [newRoot.thumbprint, oldRoot.thumbprint], []);

    // 3. The VPN profiles carry the new root before any user holds a certificate of it.
    yield* enter("regenerating-profiles");
    yield* regenerateProfiles(`rotation ${rotationId}: root ${newRoot.name} added`);

    // 4. The new root signs from now on; the old one is `retiring` (still trusted everywhere).
    yield* enter("switching-signing-root");
    yield* run(promoteRoot, { rotationId, name: newRoot.name, actor }, retry);
    progress.promoted = true;

    // 5. Every active user gets a certificate of the new root, delivered as a renewal is (the old one is not
    //    revoked), a batch at a time: the next batch starts once this one's certificates exist.
    yield* enter("reissuing", { reissued: 0 });
    // Issuances recorded before the promotion may have read the old root: the listing waits for them to finish.
    const issuing =
      revision >= 1 ? yield* run(listIssuingCertificates, { rotationId, now: now().toISOString() }, retry) : [];
    yield* reissuePass(newRoot, issuing);

    // 6. Users collect their new certificates: the old root retires once all have, or when the grace period ends, or
    //    at once when the revocation list would reach ROOT_ROTATION_RETIRE_AT_PERCENT: while both roots are trusted
    //    every user holds two valid certificates, so each leaver adds two revocations; revocations win over the grace.
    const retireAt = now().getTime() + settings.graceDays * DAY_MS;
    yield* enter("awaiting-collection", { retiresBy: new Date(retireAt).toISOString() });
    let retireReason: "collected" | "capacity" | "grace";
    let revocationPercent: number | undefined;
    for (;;) {
      const count = yield* run(countRotationCollection, { rotationId }, retry);
      progress.reissued = count.reissued;
      progress.collected = count.collected;
      if (count.collected >= count.reissued) {
        retireReason = "collected";
        break;
      }
      if (settings.retireAtPercent !== undefined) {
        const pressure = yield* run(rotationRevocationPressure, { gatewayIds: input.gatewayIds }, retry);
        revocationPercent = pressure.percent;
        if (pressure.count * 100 >= settings.retireAtPercent * pressure.capacity) {
          retireReason = "capacity";
          break;
        }
      }
      show("awaiting-collection", {
        reissued: count.reissued,
        collected: count.collected,
        retiresBy: new Date(retireAt).toISOString(),
        ...(revocationPercent === undefined ? {} : { revocationPercent }),
      });
      const left = retireAt - now().getTime();
      if (left <= 0) {
        retireReason = "grace";
        break;
      }
      yield* pause(Math.min(left, settings.collectionCheckMinutes * 60_000));
    }
    const why = { retireReason, ...(revocationPercent === undefined ? {} : { revocationPercent }) };
    // A certificate of the old root recorded after the listing (an issuance given up on that finished after all) is
    // reissued too: after the retirement below it would trust nothing.
    if (revision >= 1) yield* reissuePass(newRoot, issuing);

    // 7. From here on no cancellation: the old root is retired (disabled in Key Vault, its certificates superseded).
    yield* pause(0);
    cancellable = false;
    yield* enter("retiring-old-root", why);
    const leftovers = yield* run(rotationLeftoverRoots, { keep: newRoot.name, old: oldRoot.name }, retry);
    let superseded = (yield* run(retireRoot, { rotationId, name: oldRoot.name, actor }, retry)).superseded;
    for (const leftover of leftovers) {
      superseded += (yield* run(retireRoot, { rotationId, name: leftover.name, actor }, retry)).superseded;
    }

    // 8. The writers remove the old root and the revocations it issued; the rotation reads each gateway to see it.
    yield* enter("pruning-revocations", { superseded, retireReason });
    yield* wakeWriters(`rotation ${rotationId}: retire root ${oldRoot.name}`);
    const gone = [oldRoot.thumbprint, ...leftovers.map((r) => r.thumbprint)];
    yield* untilGateways("removing the old root", [newRoot.thumbprint], gone);
    yield* regenerateProfiles(`rotation ${rotationId}: root ${oldRoot.name} retired`);

    // 9. Done.
    const outcome = result("completed", progress);
    show("done", { reissued: progress.reissued, collected: progress.collected, retireReason });
    yield* run(
      auditRotation,
      {
        rotationId,
        actor,
        action: "rotation.completed",
        event: "completed",
        reason: input.reason,
        details: { oldRoot: oldRoot.name, newRoot: newRoot.name, reissued: progress.reissued, ...why },
      },
      retry,
    );
    return outcome;
  } catch (error) {
    if (error instanceof RotationCancelled) return yield* undo(error.request);
    yield* failLoudly(
      retry,
      {
        key: failureKey(context.df.instanceId, now()),
        title: `Root rotation ${rotationId} failed`,
        detail: `${describeFailure(error)}. POST /api/v1/roots/rotations starts it again; it resumes where it stopped`,
        subject: "root",
      },
      error,
    );
  }

  /** A cancellation: the new root withdrawn (before the promotion) or the old one signing again (after it). */
  function* undo(request: CancelRotation): Flow<RotationResult> {
    cancellable = false;
    show("cancelling");
    const { oldRoot, newRoot } = progress;
    const how = cancellationUndo(progress.promoted);
    if (newRoot !== undefined && how === "withdraw") {
      yield* run(withdrawRoot, { rotationId, name: newRoot.name, actor: request.actor }, retry);
    } else if (newRoot !== undefined && oldRoot !== undefined) {
      yield* run(
        restoreRoot,
        { rotationId, oldName: oldRoot.name, newName: newRoot.name, actor: request.actor },
        retry,
      );
    }
    yield* wakeWriters(`rotation ${rotationId} cancelled`);
    yield* run(
      auditRotation,
      {
        rotationId,
        actor: request.actor,
        action: "rotation.cancelled",
        event: "cancelled",
        reason: request.reason,
        details: { undo: how, ...(newRoot === undefined ? {} : { newRoot: newRoot.name }) },
      },
      retry,
    );
    show("cancelled");
    return result("cancelled", progress, request.reason);
  }
};

const noReason: CancelRotation = { actor: "unknown", reason: "cancelled" };

function result(status: "completed" | "cancelled", progress: Progress, reason?: string): RotationResult {
  const { oldRoot, newRoot } = progress;
  return rotationResult({
    status,
    ...(oldRoot === undefined ? {} : { oldRoot }),
    ...(newRoot === undefined ? {} : { newRoot: { name: newRoot.name, thumbprint: newRoot.thumbprint } }),
    reissued: progress.reissued,
    collected: progress.collected,
    ...(reason === undefined ? {} : { reason }),
  });
}

df.app.orchestration(ROOT_ROTATION_ORCHESTRATION, rootRotation);
