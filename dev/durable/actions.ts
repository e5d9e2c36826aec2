// The orchestrator's actions, flattened depth-first into the leaves the library assigns sequence ids to (Task.all /
// Task.any are only containers). From replay schema V2 the list holds every action since the execution started, so a
// replay must reproduce the recorded leaves as a prefix: that is where nondeterminism shows.
import { decodeProcessedInput, isRecord } from "./json";
import { ActionType } from "./protocol";
import { parseRetryOptions } from "./retry-policy";
import type { RetryPolicy } from "./retry-policy";

export type Leaf =
  | {
      readonly kind: "activity";
      readonly withRetry: boolean;
      readonly functionName: string;
      readonly input: unknown;
      readonly retry?: RetryPolicy;
    }
  | {
      readonly kind: "subOrchestration";
      readonly withRetry: boolean;
      readonly functionName: string;
      readonly instanceId?: string;
      readonly input: unknown;
      readonly retry?: RetryPolicy;
    }
  | { readonly kind: "timer"; readonly fireAtMs: number; readonly isCanceled: boolean }
  | { readonly kind: "externalEvent"; readonly eventName: string }
  | { readonly kind: "entityCall"; readonly entityId: string; readonly operation: string; readonly input: unknown }
  | { readonly kind: "entitySignal"; readonly entityId: string; readonly operation: string; readonly input: unknown }
  | { readonly kind: "continueAsNew"; readonly input: unknown }
  | { readonly kind: "unsupported"; readonly actionType: number; readonly what: string };

/** The orchestrator replied with something this backend does not understand (a library upgrade, most likely). */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

function requireString(action: Record<string, unknown>, field: string): string {
  const value = action[field];
  if (typeof value !== "string" || value === "") {
    throw new ProtocolError(`action type ${String(action.actionType)} has no ${field}`);
  }
  return value;
}

function optionalString(action: Record<string, unknown>, field: string): string | undefined {
  const value = action[field];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function parseFireAt(value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new ProtocolError(`CreateTimer has an invalid fireAt: ${String(value)}`);
  return ms;
}

function parseLeaf(action: Record<string, unknown>): Leaf {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry: {
      const withRetry = action.actionType === ActionType.CallActivityWithRetry;
      return {
        kind: "activity",
        withRetry,
        functionName: requireString(action, "functionName"),
        input: decodeProcessedInput(action.input),
        ...(withRetry ? { retry: parseRetryOptions(action.retryOptions) } : {}),
      };
    }
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry: {
      const withRetry = action.actionType === ActionType.CallSubOrchestratorWithRetry;
      const instanceId = optionalString(action, "instanceId");
      return {
        kind: "subOrchestration",
        withRetry,
        functionName: requireString(action, "functionName"),
        input: action.input,
        ...(instanceId === undefined ? {} : { instanceId }),
        ...(withRetry ? { retry: parseRetryOptions(action.retryOptions) } : {}),
      };
    }
    case ActionType.CreateTimer:
      return { kind: "timer", fireAtMs: parseFireAt(action.fireAt), isCanceled: action.isCanceled === true };
    case ActionType.WaitForExternalEvent:
      return { kind: "externalEvent", eventName: requireString(action, "externalEventName") };
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
      return {
        kind: action.actionType === ActionType.CallEntity ? "entityCall" : "entitySignal",
        entityId: requireString(action, "instanceId"),
        operation: requireString(action, "operation"),
        input: action.input,
      };
    case ActionType.ContinueAsNew:
      return { kind: "continueAsNew", input: decodeProcessedInput(action.input) };
    case ActionType.CallHttp:
      return { kind: "unsupported", actionType: ActionType.CallHttp, what: "callHttp (durable HTTP)" };
    case ActionType.LockEntities:
      return { kind: "unsupported", actionType: ActionType.LockEntities, what: "lock (entity critical sections)" };
    case ActionType.ReleaseEntities:
      return { kind: "unsupported", actionType: ActionType.ReleaseEntities, what: "releasing entity locks" };
    default:
      throw new ProtocolError(`unknown action type ${String(action.actionType)}`);
  }
}

function collect(action: unknown, into: Leaf[]): void {
  if (!isRecord(action)) throw new ProtocolError(`an action is not an object: ${JSON.stringify(action)}`);
  if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
    const children = action.compoundActions;
    if (!Array.isArray(children)) throw new ProtocolError("a WhenAll/WhenAny action has no compoundActions");
    for (const child of children) collect(child, into);
    return;
  }
  into.push(parseLeaf(action));
}

/** Flattens `OrchestratorState.actions` (an array of arrays; one inner array from schema V2 on). */
export function flattenActions(actions: unknown): Leaf[] {
  if (!Array.isArray(actions)) throw new ProtocolError("the orchestrator state has no actions array");
  const leaves: Leaf[] = [];
  for (const group of actions) {
    if (!Array.isArray(group)) throw new ProtocolError("the orchestrator's actions are not an array of arrays");
    for (const action of group) collect(action, leaves);
  }
  return leaves;
}

/** Whether the library gives this leaf a sequence number (external events are keyed by name, continueAsNew by none). */
export function consumesSequenceId(leaf: Leaf): boolean {
  return leaf.kind !== "externalEvent" && leaf.kind !== "continueAsNew";
}

/** How the replay's action reads in an error message. */
export function describeAction(leaf: Leaf): string {
  switch (leaf.kind) {
    case "activity":
      return `${leaf.withRetry ? "CallActivityWithRetry" : "CallActivity"} '${leaf.functionName}'`;
    case "subOrchestration":
      return `${leaf.withRetry ? "CallSubOrchestratorWithRetry" : "CallSubOrchestrator"} '${leaf.functionName}'`;
    case "timer":
      return "CreateTimer";
    case "externalEvent":
      return `WaitForExternalEvent '${leaf.eventName}'`;
    case "entityCall":
      return `CallEntity '${leaf.entityId}' operation '${leaf.operation}'`;
    case "entitySignal":
      return `SignalEntity '${leaf.entityId}' operation '${leaf.operation}'`;
    case "continueAsNew":
      return "ContinueAsNew";
    case "unsupported":
      return leaf.what;
  }
}

/** How the recorded decision reads in terms of the history event it produced. */
export function describeRecorded(leaf: Leaf, sequenceId: number | undefined, position: number): string {
  const at = sequenceId === undefined ? `action #${position}` : `sequence ${sequenceId}`;
  switch (leaf.kind) {
    case "activity":
      return `TaskScheduled '${leaf.functionName}' at ${at}`;
    case "subOrchestration":
      return `SubOrchestrationInstanceCreated '${leaf.functionName}' at ${at}`;
    case "timer":
      return `TimerCreated at ${at}`;
    case "entityCall":
    case "entitySignal":
      return `EventSent to '${leaf.entityId}' (operation '${leaf.operation}') at ${at}`;
    default:
      return `${describeAction(leaf)} at ${at}`;
  }
}

/** Same decision as recorded: type and name (function, event, entity and operation); inputs and times may differ. */
export function sameDecision(recorded: Leaf, replayed: Leaf): boolean {
  switch (recorded.kind) {
    case "activity":
    case "subOrchestration":
      return (
        replayed.kind === recorded.kind &&
        replayed.withRetry === recorded.withRetry &&
        replayed.functionName.toLowerCase() === recorded.functionName.toLowerCase() &&
        (replayed.kind !== "subOrchestration" ||
          recorded.kind !== "subOrchestration" ||
          replayed.instanceId === recorded.instanceId)
      );
    case "timer":
    case "continueAsNew":
      return replayed.kind === recorded.kind;
    case "externalEvent":
      return replayed.kind === "externalEvent" && replayed.eventName === recorded.eventName;
    case "entityCall":
    case "entitySignal":
      return (
        replayed.kind === recorded.kind &&
        replayed.entityId === recorded.entityId &&
        replayed.operation === recorded.operation
      );
    case "unsupported":
      return replayed.kind === "unsupported" && replayed.actionType === recorded.actionType;
  }
}
