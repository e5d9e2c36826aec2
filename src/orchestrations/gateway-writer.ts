// The single writer of one gateway (a singleton per gateway, instance id from gatewayWriterInstanceId). Each pass
// re-reads the ledger and the gateway and applies everything pending in one PUT; changes that arrive during a
// write are picked up by the next pass. Once in sync it sleeps until a request wakes it, and never finishes by
// itself: a writer that finished could drop a request raised during its last pass (after its ledger read), and the
// requester, who saw it still running, would never know. Each wake-up starts a fresh generation (continueAsNew) whose
// first pass re-reads the ledger, so events that continueAsNew may discard were already covered by that read. The
// sleep is a bare waitForExternalEvent: Task.any([timer, event]) followed by continueAsNew is durable-functions-js
// #577. It ends only by failing (refused write, unexpected error); the next request or gatewayReconcile restarts it.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { run } from "../activities/define";
import { raiseAlert } from "../activities/alert";
import { applyGatewayState, isApplied } from "../activities/gateway-apply";
import { computeDesiredGatewayState } from "../activities/gateway-desired-state";
import { recordGatewaySync } from "../activities/gateway-record-sync";
import { disconnectRevokedSessions } from "../activities/gateway-sessions";
import { CHANGES_PENDING_EVENT, GATEWAY_WRITER_ORCHESTRATION } from "../clients/gateway-writer-starter";
import { backoffDelayMs } from "../domain/backoff";
import type { GatewayWriterInput } from "../domain/gateway-writer-input";

/** Passes per generation before continueAsNew trims the history under a long stream of changes. */
const PASSES_PER_GENERATION = 10;
const MAX_BUSY_WAIT_MS = 5 * 60_000;
/** Consecutive 412s or unverified writes before the writer stops and alerts rather than rewrite the gateway forever. */
const MAX_DISAGREEMENTS = 5;

export const gatewayWriter: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<GatewayWriterInput>();
  const gatewayName = input.gatewayId.split("/").pop() ?? input.gatewayId;
  let passes = 0;
  let busyAttempts = 0;
  let disagreements = 0;

  for (;;) {
    passes++;
    const passId = `${context.df.instanceId}:${input.generation ?? 0}:${passes}`;
    context.df.setCustomStatus({ gateway: gatewayName, pass: passes, state: "reading" });

    // Re-read the desired state every pass: everything marked in the ledger before now goes into this write.
    const { desired, revokedUsers } = yield* run(computeDesiredGatewayState, {});

    // Read the gateway, plan, write once with If-Match, verify.
    const result = yield* run(applyGatewayState, { gatewayId: input.gatewayId, desired });

    if (result.outcome === "busy" || result.outcome === "throttled") {
      // Another operation runs on the gateway (or ARM throttles): wait on a durable timer, then re-read and retry.
      busyAttempts++;
      const waitMs = Math.min(
        MAX_BUSY_WAIT_MS,
        backoffDelayMs(
          { firstMs: input.busyBackoffMs, maxMs: MAX_BUSY_WAIT_MS, factor: 2 },
          busyAttempts,
          result.retryAfterMs,
        ),
      );
      context.df.setCustomStatus({ gateway: gatewayName, pass: passes, state: result.outcome, waitMs });
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + waitMs));
      continue;
    }
    busyAttempts = 0;

    if (result.outcome === "conflict" || result.outcome === "unverified") {
      // The gateway changed under us (a hand edit) or the write did not stick: plan again from a fresh read, at once
      // the first time, then after a backoff; a gateway that keeps disagreeing is reported, not rewritten forever.
      disagreements++;
      if (disagreements >= MAX_DISAGREEMENTS) {
        const detail = `${disagreements} writes in a row were refused or did not stick (last: ${result.detail})`;
        return yield* failLoudly(context, input.gatewayId, passId, result.outcome, detail);
      }
      if (disagreements > 1) {
        const waitMs = backoffDelayMs(
          { firstMs: input.busyBackoffMs, maxMs: MAX_BUSY_WAIT_MS, factor: 2 },
          disagreements - 1,
        );
        context.df.setCustomStatus({ gateway: gatewayName, pass: passes, state: result.outcome, waitMs });
        yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + waitMs));
      }
      continue;
    }

    if (!isApplied(result)) {
      // Applying would drop a valid entry, or the gateway refused the object: stop loudly, write nothing.
      return yield* failLoudly(context, input.gatewayId, passId, result.outcome, result.detail);
    }
    disagreements = 0;

    // Record the pass (written or already in sync) for the API and the audit.
    yield* run(recordGatewaySync, {
      gatewayId: input.gatewayId,
      passId,
      outcome: result.outcome,
      detail:
        result.outcome === "written"
          ? `added ${result.addedRevocations.length} revocations, pruned ${result.prunedRevocations.length}`
          : "in sync",
      revokedCount: result.revokedCount,
      rootCount: result.rootCount,
      addedRevocations: result.addedRevocations,
      prunedRevocations: result.prunedRevocations,
    });

    if (result.outcome === "written" && result.addedRevocations.length > 0) {
      // End the live sessions of the users whose revocations just reached the gateway.
      const users = [...new Set(result.addedRevocations.flatMap((t) => revokedUsers[t] ?? []))];
      yield* run(disconnectRevokedSessions, { gatewayId: input.gatewayId, users, passId });
    }

    if (result.outcome === "written") {
      if (passes >= PASSES_PER_GENERATION) {
        // Keep the history short under a long stream of changes; the next generation re-reads everything.
        context.df.continueAsNew({ ...input, generation: (input.generation ?? 0) + passes });
        return { gateway: gatewayName, passes, continued: true };
      }
      // Something was written: loop to pick up whatever arrived during the write.
      continue;
    }

    // In sync: sleep until a request (offboarding, gatewayReconcile) wakes it; a request raised during this
    // generation's passes is already waiting and wakes it at once, for one more pass.
    context.df.setCustomStatus({ gateway: gatewayName, pass: passes, state: "waiting" });
    yield context.df.waitForExternalEvent(CHANGES_PENDING_EVENT);
    context.df.continueAsNew({ ...input, generation: (input.generation ?? 0) + passes });
    return { gateway: gatewayName, passes, continued: true };
  }
};

/** Records the failed pass for the API, raises a critical alert naming the cause, and fails the instance. */
function* failLoudly(
  context: OrchestrationContext,
  gatewayId: string,
  passId: string,
  outcome: string,
  detail: string,
): Generator<Task, never, unknown> {
  const gatewayName = gatewayId.split("/").pop() ?? gatewayId;
  yield* run(recordGatewaySync, {
    gatewayId,
    passId,
    outcome,
    detail,
    revokedCount: -1,
    rootCount: -1,
    addedRevocations: [],
    prunedRevocations: [],
  });
  yield* run(raiseAlert, {
    severity: "critical",
    title: `Gateway ${gatewayName}: revocations cannot be applied`,
    detail,
    subject: gatewayId,
  });
  context.df.setCustomStatus({ gateway: gatewayName, state: "failed", outcome });
  throw new Error(`gateway ${gatewayName}: ${detail}`);
}

df.app.orchestration(GATEWAY_WRITER_ORCHESTRATION, gatewayWriter);
