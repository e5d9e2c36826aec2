// One piece of Entra work, retried until it is done: a change notification or Graph event (stored as this instance
// the moment it arrived, so the webhook answers at once), a reconcile pass, or subscription upkeep. A failure (Graph
// throttled past the client's bound, storage down) is retried with backoff, never dropped; should every retry fail,
// the instance fails loudly and entraReconcile's next pass converges the same users.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { run } from "../activities/define";
import { applyEntraWork } from "../activities/entra";
import type { EntraWorkInput } from "../activities/entra";
import { describeFailure, failLoudly, failureKey } from "./fail-loudly";

export const ENTRA_CHANGE_ORCHESTRATION = "entraChange";

const retry = new df.RetryOptions(5000, 10);
retry.backoffCoefficient = 2;
retry.maxRetryIntervalInMilliseconds = 5 * 60_000;

export const entraChange: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<EntraWorkInput>();
  try {
    return yield* run(applyEntraWork, input, retry);
  } catch (error) {
    yield* failLoudly(
      retry,
      {
        key: failureKey(context.df.instanceId, context.df.currentUtcDateTime),
        title: `Entra ${input.work.kind} work failed (${context.df.instanceId})`,
        detail: `${describeFailure(error)}; entraReconcile converges the directory on its next run`,
        subject: "entra",
      },
      error,
    );
  }
};

df.app.orchestration(ENTRA_CHANGE_ORCHESTRATION, entraChange);
