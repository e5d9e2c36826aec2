// The single writer of one gateway (a singleton per gateway, instance id from gatewayWriterInstanceId). Each pass
// re-reads the ledger and the gateway and applies everything pending in one PUT; changes that arrive during a
// write are picked up by the next pass. It finishes only after a quiet period with nothing left to do.
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

/** Passes per generation before continueAsNew trims the history. */
const PASSES_PER_GENERATION = 10;
/** Passes in one generation after a wake-up event, where continueAsNew is not used (durable-functions-js #577). */
const MAX_PASSES_AFTER_WAKE = 50;
const MAX_BUSY_WAIT_MS = 5 * 60_000;

export const gatewayWriter: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<GatewayWriterInput>();
  const gatewayName = input.gatewayId.split("/").pop() ?? input.gatewayId;
  let passes = 0;
  let busyAttempts = 0;
  let wokenByEvent = false;

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
      // The gateway changed under us (a hand edit) or the write did not stick: plan again from a fresh read.
      continue;
    }

    if (!isApplied(result)) {
      // Applying would drop a valid entry, or the gateway refused the object: stop loudly, write nothing.
      yield* run(recordGatewaySync, {
        gatewayId: input.gatewayId,
        passId,
        outcome: result.outcome,
        detail: result.detail,
        revokedCount: -1,
        rootCount: -1,
        addedRevocations: [],
        prunedRevocations: [],
      });
      yield* run(raiseAlert, {
        severity: "critical",
        title: `Gateway ${gatewayName}: revocations cannot be applied`,
        detail: result.detail,
        subject: input.gatewayId,
      });
      throw new Error(`gateway ${gatewayName}: ${result.detail}`);
    }

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
      if (!wokenByEvent && passes >= PASSES_PER_GENERATION) {
        // Keep the history short under a long stream of changes; the next generation re-reads everything.
        context.df.continueAsNew({ ...input, generation: (input.generation ?? 0) + passes });
        return { gateway: gatewayName, passes, continued: true };
      }
      // Something was written: loop to pick up whatever arrived during the write.
      continue;
    }

    // In sync. Wait a quiet period for more changes before finishing (never followed by continueAsNew).
    if (input.quietMs > 0 && passes < MAX_PASSES_AFTER_WAKE) {
      context.df.setCustomStatus({ gateway: gatewayName, pass: passes, state: "quiet" });
      const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + input.quietMs));
      const wake = context.df.waitForExternalEvent(CHANGES_PENDING_EVENT);
      const winner = (yield context.df.Task.any([timer, wake])) as Task;
      if (winner === wake) {
        timer.cancel();
        wokenByEvent = true;
        continue;
      }
    }
    context.df.setCustomStatus({ gateway: gatewayName, pass: passes, state: "inSync" });
    return { gateway: gatewayName, passes, continued: false };
  }
};

df.app.orchestration(GATEWAY_WRITER_ORCHESTRATION, gatewayWriter);
