// Idempotent orchestration starts keyed by instance id: the same request never runs two instances at once, and a
// request whose instance failed or was terminated can be repeated to run it again under the same id.
import type { DurableClient } from "durable-functions";

/** The instance's runtime status, or undefined when no instance has that id. */
export async function instanceStatus(client: DurableClient, instanceId: string): Promise<string | undefined> {
  try {
    return (await client.getStatus(instanceId)).runtimeStatus;
  } catch (error) {
    // durable-functions reports an unknown instance as an Error whose message carries the extension's 404.
    if (error instanceof Error && error.message.includes("HTTP 404")) return undefined;
    throw error;
  }
}

/**
 * States a repeated request starts again (host.json sets overridableExistingInstanceStates to NonRunningStates, so
 * the extension lets startNew replace them). "Canceled" is the legacy spelling of a terminated instance.
 */
const RESTARTABLE = new Set(["Failed", "Terminated", "Canceled"]);

/** Runtime statuses of an instance that has not ended: it takes events, and a Suspended one goes on once resumed. */
const NOT_ENDED = new Set(["Pending", "Running", "Suspended", "ContinuedAsNew"]);

export function hasNotEnded(runtimeStatus: string | undefined): boolean {
  return runtimeStatus !== undefined && NOT_ENDED.has(runtimeStatus);
}

export type StartOutcome = "started" | "restarted" | "existing";

/**
 * Starts `orchestration` under `instanceId` when no instance has that id, starts it again when the instance
 * Failed or was Terminated (the orchestration's steps are idempotent and keyed by the same id, so the new run
 * resumes what the failed one left), and answers "existing" for an instance that is Pending, Running, Suspended or
 * Completed: a repeated request then points at the same instance and nothing runs twice.
 */
export async function startOnce(
  client: DurableClient,
  orchestration: string,
  instanceId: string,
  input: unknown,
): Promise<StartOutcome> {
  const status = await instanceStatus(client, instanceId);
  if (status !== undefined && !RESTARTABLE.has(status)) return "existing";
  try {
    await client.startNew(orchestration, { instanceId, input });
  } catch (error) {
    // A concurrent repeat started it first (the extension answers a 500, OrchestrationAlreadyExistsException, for a
    // Pending, Running or Suspended instance): the instance now runs, which is what this request asked for.
    const now = await instanceStatus(client, instanceId);
    if (now !== undefined && !RESTARTABLE.has(now)) return "existing";
    throw error;
  }
  return status === undefined ? "started" : "restarted";
}
