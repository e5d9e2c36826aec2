// Builders for the history events the library replays. Events the extension numbers with a sequence id (the
// scheduling ones) carry it as EventId; the others use -1 and point at the scheduled task through their own field.
import { EventType } from "./protocol";
import type { FailureDetailsPayload, HistoryEvent } from "./protocol";

/** Why a task failed, as TaskFailed / SubOrchestrationInstanceFailed carry it. */
export interface TaskFailure {
  readonly reason: string;
  readonly details: string;
  readonly failureDetails?: FailureDetailsPayload;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

function event(type: number, eventId: number, atMs: number, fields: Record<string, unknown> = {}): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: isoTime(atMs), ...fields };
}

function withoutUndefined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function failureFields(failure: TaskFailure): Record<string, unknown> {
  return withoutUndefined({
    Reason: failure.reason,
    Details: failure.details,
    FailureDetails: failure.failureDetails,
  });
}

export const history = {
  orchestratorStarted: (atMs: number): HistoryEvent => event(EventType.OrchestratorStarted, -1, atMs),
  orchestratorCompleted: (atMs: number): HistoryEvent => event(EventType.OrchestratorCompleted, -1, atMs),

  executionStarted: (
    atMs: number,
    start: { name: string; input: string; instanceId: string; executionId: string; parentInstanceId?: string },
  ): HistoryEvent =>
    event(
      EventType.ExecutionStarted,
      -1,
      atMs,
      withoutUndefined({
        Name: start.name,
        Input: start.input,
        OrchestrationInstance: { InstanceId: start.instanceId, ExecutionId: start.executionId },
        ParentInstance:
          start.parentInstanceId === undefined
            ? undefined
            : { OrchestrationInstance: { InstanceId: start.parentInstanceId } },
      }),
    ),

  executionCompleted: (
    atMs: number,
    status: "Completed" | "Failed" | "Terminated" | "ContinuedAsNew",
    result: string,
    failureDetails?: FailureDetailsPayload,
  ): HistoryEvent =>
    event(
      EventType.ExecutionCompleted,
      -1,
      atMs,
      withoutUndefined({ OrchestrationStatus: status, Result: result, FailureDetails: failureDetails }),
    ),

  executionTerminated: (atMs: number, reason: string): HistoryEvent =>
    event(EventType.ExecutionTerminated, -1, atMs, { Input: reason }),
  executionSuspended: (atMs: number, reason: string): HistoryEvent =>
    event(EventType.ExecutionSuspended, -1, atMs, { Reason: reason }),
  executionResumed: (atMs: number, reason: string): HistoryEvent =>
    event(EventType.ExecutionResumed, -1, atMs, { Reason: reason }),

  taskScheduled: (atMs: number, id: number, name: string, input: string): HistoryEvent =>
    event(EventType.TaskScheduled, id, atMs, { Name: name, Input: input }),
  taskCompleted: (atMs: number, scheduledId: number, result: string): HistoryEvent =>
    event(EventType.TaskCompleted, -1, atMs, { TaskScheduledId: scheduledId, Result: result }),
  taskFailed: (atMs: number, scheduledId: number, failure: TaskFailure): HistoryEvent =>
    event(EventType.TaskFailed, -1, atMs, { TaskScheduledId: scheduledId, ...failureFields(failure) }),

  subOrchestrationCreated: (atMs: number, id: number, name: string, instanceId: string, input: string): HistoryEvent =>
    event(EventType.SubOrchestrationInstanceCreated, id, atMs, { Name: name, InstanceId: instanceId, Input: input }),
  subOrchestrationCompleted: (atMs: number, scheduledId: number, result: string): HistoryEvent =>
    event(EventType.SubOrchestrationInstanceCompleted, -1, atMs, { TaskScheduledId: scheduledId, Result: result }),
  subOrchestrationFailed: (atMs: number, scheduledId: number, failure: TaskFailure): HistoryEvent =>
    event(EventType.SubOrchestrationInstanceFailed, -1, atMs, {
      TaskScheduledId: scheduledId,
      ...failureFields(failure),
    }),

  timerCreated: (atMs: number, id: number, fireAtMs: number): HistoryEvent =>
    event(EventType.TimerCreated, id, atMs, { FireAt: isoTime(fireAtMs) }),
  timerFired: (atMs: number, timerId: number, fireAtMs: number): HistoryEvent =>
    event(EventType.TimerFired, -1, atMs, { TimerId: timerId, FireAt: isoTime(fireAtMs) }),

  eventSent: (atMs: number, id: number, targetInstanceId: string, name: string, input: string): HistoryEvent =>
    event(EventType.EventSent, id, atMs, { InstanceId: targetInstanceId, Name: name, Input: input }),
  eventRaised: (atMs: number, name: string, input: string | undefined): HistoryEvent =>
    event(EventType.EventRaised, -1, atMs, withoutUndefined({ Name: name, Input: input })),
};

/** The sequence id an event completes (an activity, sub-orchestration or timer), if it completes one. */
export function completedTaskId(event: HistoryEvent): number | undefined {
  const field =
    event.EventType === EventType.TimerFired
      ? "TimerId"
      : event.EventType === EventType.TaskCompleted ||
          event.EventType === EventType.TaskFailed ||
          event.EventType === EventType.SubOrchestrationInstanceCompleted ||
          event.EventType === EventType.SubOrchestrationInstanceFailed
        ? "TaskScheduledId"
        : undefined;
  const value = field === undefined ? undefined : event[field];
  return typeof value === "number" ? value : undefined;
}
