// Terminal failures of the CA activities. Durable retries have no predicate, so an activity that throws is retried
// whatever the cause; errors that no retry can fix (a bad UPN, a CSR the CA refuses, a soft-deleted name) are
// returned instead as a typed outcome, and the orchestration fails at once with the reason.
import type { RetryOptions, Task } from "durable-functions";
import { run } from "./define";
import type { TypedActivity } from "./define";
import { CaStateError } from "../clients/key-vault-ca";
import { CertificateRequestRejectedError } from "../domain/client-certificate";
import { InvalidUpnError } from "../domain/upn";

/** What a CA activity returns: its value, or the terminal error that stopped it (public text only). */
export type CaOutcome<T> =
  | { readonly terminal: false; readonly value: T }
  | { readonly terminal: true; readonly error: string; readonly message: string };

export function isTerminalError(error: unknown): error is Error {
  return (
    error instanceof InvalidUpnError ||
    error instanceof CertificateRequestRejectedError ||
    (error instanceof CaStateError && error.terminal)
  );
}

/** Runs an activity's body: terminal errors become an outcome, every other error is thrown (and retried). */
export async function outcomeOf<T>(work: () => Promise<T>): Promise<CaOutcome<T>> {
  try {
    return { terminal: false, value: await work() };
  } catch (error) {
    if (isTerminalError(error)) return { terminal: true, error: error.name, message: error.message };
    throw error;
  }
}

export class TerminalIssuanceError extends Error {
  override readonly name = "TerminalIssuanceError";
}

function isOutcome(value: unknown): value is CaOutcome<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { terminal?: unknown }).terminal === "boolean";
}

/**
 * `run` for CA activities: the value, or a TerminalIssuanceError thrown in the orchestrator (not retried). A result
 * recorded in history before the activities returned outcomes (an instance in flight across the deploy) is taken as
 * the value itself.
 */
export function* runCa<I, O>(
  activity: TypedActivity<I, CaOutcome<O>>,
  input: I,
  retry?: RetryOptions,
): Generator<Task, O, unknown> {
  const outcome: unknown = yield* run(activity, input, retry);
  if (!isOutcome(outcome)) return outcome as O;
  if (outcome.terminal) throw new TerminalIssuanceError(`${activity.name}: ${outcome.error}: ${outcome.message}`);
  return outcome.value as O;
}
