// Ends an orchestration that could not revoke what it had to: a critical alert first, then the failure itself.
import type * as df from "durable-functions";
import type { Task } from "durable-functions";
import { raiseAlert } from "../activities/alert";
import { run } from "../activities/define";

export interface FailureAlert {
  readonly title: string;
  readonly detail: string;
  readonly subject: string;
  /** Raised once per key: re-delivered alert activities of one failure do not alert twice. See failureKey. */
  readonly key?: string;
}

/**
 * The alert key of one failure of one execution: the instance and the orchestration's own clock at the failure, which
 * a replay or a re-delivered activity repeats, and a restarted execution (a new failure) does not.
 */
export function failureKey(instanceId: string, at: Date): string {
  return `failure:${instanceId}:${at.toISOString()}`;
}

/** The first line of a failure: a failed activity's message carries its stack after it, not for an alert. */
export function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.trim() ?? message;
}

/** Raises a critical alert, then throws `error`; an alert that cannot be sent is named in the thrown error. */
export function* failLoudly(
  retry: df.RetryOptions,
  alert: FailureAlert,
  error: unknown,
): Generator<Task, never, unknown> {
  const cause = error instanceof Error ? error.message : String(error);
  try {
    yield* run(raiseAlert, { severity: "critical", ...alert }, retry);
  } catch (alertError) {
    const why = alertError instanceof Error ? alertError.message : String(alertError);
    throw new Error(`${cause}; the alert could not be sent: ${why}`);
  }
  throw error instanceof Error ? error : new Error(cause);
}
