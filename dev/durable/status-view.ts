// The instance status JSON of the Durable HTTP API (what DurableClient.getStatus parses): runtimeStatus, input,
// customStatus, output, createdTime and lastUpdatedTime (second precision, as the extension formats them) and, on
// request, historyEvents in the extension's readable form (event type names, function names, parsed results).
import type { OrchestrationInstance } from "./instance";
import { EventType } from "./protocol";
import type { EventTypeName, HistoryEvent } from "./protocol";

export interface StatusOptions {
  readonly showInput: boolean;
  readonly showHistory: boolean;
  readonly showHistoryOutput: boolean;
}

const EVENT_NAMES = new Map<number, EventTypeName>(
  (Object.entries(EventType) as [EventTypeName, number][]).map(([name, value]) => [value, name]),
);

/** Scheduling and episode-boundary events are folded into the events that complete them, as the extension shows it. */
const HIDDEN = new Set<number>([
  EventType.OrchestratorStarted,
  EventType.OrchestratorCompleted,
  EventType.TaskScheduled,
  EventType.SubOrchestrationInstanceCreated,
]);

export function wireTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function parsed(text: unknown): unknown {
  if (typeof text !== "string") return text ?? null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function historyView(instance: OrchestrationInstance, options: StatusOptions): Record<string, unknown>[] {
  const scheduled = new Map<number, { name: unknown; at: string }>();
  const view: Record<string, unknown>[] = [];
  for (const event of instance.execution.history) {
    if (event.EventType === EventType.TaskScheduled || event.EventType === EventType.SubOrchestrationInstanceCreated) {
      scheduled.set(event.EventId, { name: event.Name, at: event.Timestamp });
    }
    if (HIDDEN.has(event.EventType)) continue;
    view.push(readable(event, instance, scheduled, options));
  }
  return view;
}

function readable(
  event: HistoryEvent,
  instance: OrchestrationInstance,
  scheduled: ReadonlyMap<number, { name: unknown; at: string }>,
  options: StatusOptions,
): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    EventType: EVENT_NAMES.get(event.EventType) ?? event.EventType,
    Timestamp: event.Timestamp,
  };
  const source = typeof event.TaskScheduledId === "number" ? scheduled.get(event.TaskScheduledId) : undefined;
  switch (event.EventType) {
    case EventType.ExecutionStarted:
      entry.FunctionName = instance.name;
      if (options.showInput) entry.Input = parsed(event.Input);
      break;
    case EventType.ExecutionCompleted:
      entry.OrchestrationStatus = event.OrchestrationStatus;
      if (options.showHistoryOutput) entry.Result = parsed(event.Result);
      if (event.FailureDetails !== undefined) entry.FailureDetails = event.FailureDetails;
      break;
    case EventType.TaskCompleted:
    case EventType.SubOrchestrationInstanceCompleted:
      entry.FunctionName = source?.name;
      entry.ScheduledTime = source?.at;
      if (options.showHistoryOutput) entry.Result = parsed(event.Result);
      break;
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceFailed:
      entry.FunctionName = source?.name;
      entry.ScheduledTime = source?.at;
      entry.Reason = event.Reason;
      entry.Details = event.Details;
      break;
    case EventType.TimerCreated:
    case EventType.TimerFired:
      entry.FireAt = event.FireAt;
      if (event.EventType === EventType.TimerFired) entry.TimerId = event.TimerId;
      break;
    case EventType.EventRaised:
    case EventType.EventSent:
      entry.Name = event.Name;
      if (event.EventType === EventType.EventSent) entry.InstanceId = event.InstanceId;
      if (options.showHistoryOutput) entry.Input = parsed(event.Input);
      break;
    default:
      if (event.Reason !== undefined) entry.Reason = event.Reason;
      if (event.Input !== undefined) entry.Input = parsed(event.Input);
  }
  return entry;
}

export function statusPayload(instance: OrchestrationInstance, options: StatusOptions): Record<string, unknown> {
  return {
    name: instance.name,
    instanceId: instance.instanceId,
    runtimeStatus: instance.status,
    input: options.showInput ? (instance.execution.input ?? null) : null,
    customStatus: instance.customStatus ?? null,
    output: instance.output ?? null,
    createdTime: wireTime(instance.createdAtMs),
    lastUpdatedTime: wireTime(instance.lastUpdatedAtMs),
    ...(options.showHistory ? { historyEvents: historyView(instance, options) } : {}),
  };
}
