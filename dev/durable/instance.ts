// The in-memory records of orchestration instances: one execution (generation) at a time, its committed history, the
// inbox of events not yet shown to the orchestrator, and the tasks it has scheduled keyed by sequence id.
import { randomUUID } from "node:crypto";
import type { Leaf } from "./actions";
import type { TaskFailure } from "./history";
import type { FailureDetailsPayload, HistoryEvent } from "./protocol";
import type { RetryPolicy } from "./retry-policy";

export type RuntimeStatus =
  "Pending" | "Running" | "Completed" | "ContinuedAsNew" | "Failed" | "Terminated" | "Suspended" | "Canceled";

export const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  "Pending",
  "Running",
  "Completed",
  "ContinuedAsNew",
  "Failed",
  "Terminated",
  "Suspended",
  "Canceled",
];

const TERMINAL: ReadonlySet<RuntimeStatus> = new Set<RuntimeStatus>(["Completed", "Failed", "Terminated", "Canceled"]);
const RUNNABLE: ReadonlySet<RuntimeStatus> = new Set<RuntimeStatus>(["Pending", "Running", "ContinuedAsNew"]);

export function isTerminal(status: RuntimeStatus): boolean {
  return TERMINAL.has(status);
}

/** Whether the instance may run episodes (suspended ones keep their inbox until resumed). */
export function isRunnable(status: RuntimeStatus): boolean {
  return RUNNABLE.has(status);
}

export interface InboxItem {
  readonly event: HistoryEvent;
  /** Raised by a client: kept across continueAsNew, as the extension keeps queued messages for the instance. */
  readonly external: boolean;
}

/** An activity or sub-orchestration, retried or not; every attempt's sequence id maps to the same record. */
export interface AttemptedTask {
  readonly kind: "attempted";
  readonly leaf: Extract<Leaf, { kind: "activity" | "subOrchestration" }>;
  readonly retry?: RetryPolicy;
  readonly firstAttemptAtMs: number;
  failures: number;
  lastFailure?: TaskFailure;
}

/** A durable timer; one longer than the short-timer limit is fired in pieces, each with its own sequence id. */
export interface TimerTask {
  readonly kind: "timer";
  readonly finalFireAtMs: number;
  currentId: number;
  canceled: boolean;
}

export interface EntityTask {
  readonly kind: "entity";
}

export type ScheduledTask = AttemptedTask | TimerTask | EntityTask;

export interface RecordedLeaf {
  readonly leaf: Leaf;
  readonly sequenceId?: number;
}

export interface Execution {
  readonly executionId: string;
  readonly input: unknown;
  readonly history: HistoryEvent[];
  inbox: InboxItem[];
  readonly leaves: RecordedLeaf[];
  nextSequenceId: number;
  readonly tasks: Map<number, ScheduledTask>;
  /** Pending clock callbacks by timer sequence id. */
  readonly timers: Map<number, () => void>;
  /**
   * Sequence ids of scheduled activities, sub-orchestrations and armed timers whose completion has not arrived:
   * DurableTask.Core's open tasks. A completion for an id not here is a duplicate and is dropped.
   */
  readonly open: Set<number>;
}

export interface ParentLink {
  readonly instanceId: string;
  readonly executionId: string;
  readonly taskId: number;
}

export interface OrchestrationInstance {
  readonly instanceId: string;
  readonly name: string;
  status: RuntimeStatus;
  /** The status to return to on resume. */
  statusBeforeSuspend?: RuntimeStatus;
  readonly createdAtMs: number;
  lastUpdatedAtMs: number;
  output: unknown;
  customStatus: unknown;
  failureDetails?: FailureDetailsPayload;
  readonly parent?: ParentLink;
  execution: Execution;
  /** An episode is running: episodes of one instance never overlap. */
  busy: boolean;
}

export function newExecution(input: unknown): Execution {
  return {
    executionId: randomUUID().replace(/-/g, ""),
    input,
    history: [],
    inbox: [],
    leaves: [],
    nextSequenceId: 0,
    tasks: new Map(),
    timers: new Map(),
    open: new Set(),
  };
}

export function cancelTimers(execution: Execution): void {
  for (const cancel of execution.timers.values()) cancel();
  execution.timers.clear();
}

/** Whether the instance's current execution is waiting for anything (DurableTask.Core's HasOpenTasks). */
export function hasOpenTasks(execution: Execution): boolean {
  return execution.open.size > 0;
}
