// Reads what orchestrator and activity invocations hand back: the OrchestratorState, the state embedded in an
// OrchestrationFailureError, and activity errors turned into the TaskFailed fields the library parses.
import { ProtocolError } from "./actions";
import { errorMessage, isRecord } from "./json";
import { OUT_OF_PROC_DATA_LABEL } from "./protocol";
import type { FailureDetailsPayload } from "./protocol";
import type { TaskFailure } from "./history";

export interface ReplyState {
  readonly isDone: boolean;
  readonly actions: unknown;
  readonly output: unknown;
  /** undefined when the library left it out (it drops falsy custom statuses). */
  readonly customStatus: unknown;
  readonly schemaVersion: number;
  readonly error?: string;
  readonly failureDetails?: FailureDetailsPayload;
}

export interface OrchestratorFailure {
  readonly message: string;
  readonly failureDetails?: FailureDetailsPayload;
  /** Present when the failure came from the library's replay (OrchestrationFailureError). */
  readonly state?: ReplyState;
}

function readFailureDetails(value: unknown): FailureDetailsPayload | undefined {
  if (!isRecord(value) || typeof value.ErrorType !== "string" || typeof value.ErrorMessage !== "string") {
    return undefined;
  }
  return value as unknown as FailureDetailsPayload;
}

export function readOrchestratorState(value: unknown): ReplyState {
  if (!isRecord(value)) throw new ProtocolError(`the orchestrator returned ${JSON.stringify(value)}, not a state`);
  if (typeof value.isDone !== "boolean" || typeof value.schemaVersion !== "number") {
    throw new ProtocolError("the orchestrator state lacks isDone or schemaVersion");
  }
  const failureDetails = readFailureDetails(value.failureDetails);
  return {
    isDone: value.isDone,
    actions: value.actions,
    output: value.output,
    customStatus: value.customStatus,
    schemaVersion: value.schemaVersion,
    ...(typeof value.error === "string" ? { error: value.error } : {}),
    ...(failureDetails === undefined ? {} : { failureDetails }),
  };
}

/** The orchestrator invocation rejected: either the library's OrchestrationFailureError or a crash around it. */
export function readOrchestratorFailure(error: unknown): OrchestratorFailure {
  const text = errorMessage(error);
  const at = text.indexOf(OUT_OF_PROC_DATA_LABEL);
  if (at < 0) return { message: text };
  let state: ReplyState;
  try {
    state = readOrchestratorState(JSON.parse(text.substring(at + OUT_OF_PROC_DATA_LABEL.length)) as unknown);
  } catch {
    return { message: text.substring(0, at).trim() };
  }
  return {
    message: state.error ?? text.substring(0, at).trim(),
    ...(state.failureDetails === undefined ? {} : { failureDetails: state.failureDetails }),
    state,
  };
}

/**
 * An activity's error as the extension records it. With an exception properties provider registered, the library's
 * wrapper replaces the message with a JSON failure-details payload; the extension turns that into FailureDetails.
 */
export function activityFailure(functionName: string, error: unknown): TaskFailure {
  const message = errorMessage(error);
  const details = error instanceof Error ? (error.stack ?? "") : "";
  const structured = parseFailurePayload(message);
  if (structured !== undefined) {
    return {
      reason: `Activity function '${functionName}' failed: ${structured.ErrorType}: ${structured.ErrorMessage}`,
      details,
      failureDetails: structured,
    };
  }
  return { reason: `Activity function '${functionName}' failed: ${message}`, details };
}

function parseFailurePayload(message: string): FailureDetailsPayload | undefined {
  if (!message.startsWith("{")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed.errorType !== "string" || typeof parsed.errorMessage !== "string") {
    return undefined;
  }
  return {
    ErrorType: parsed.errorType,
    ErrorMessage: parsed.errorMessage,
    ...(typeof parsed.stackTrace === "string" ? { StackTrace: parsed.stackTrace } : {}),
    IsNonRetriable: parsed.isNonRetriable === true,
    ...(isRecord(parsed.properties) ? { Properties: parsed.properties } : {}),
  };
}
