// The wire shapes durable-functions 3.5.0 exchanges with the Durable extension in the out-of-process protocol (replay
// schema V4). None of this is public API of the library: test/unit/durable/durable-contract.test.ts pins every number
// and field here against the installed package so an upgrade that changes them fails loudly.

export const DURABLE_FUNCTIONS_VERSION = "3.5.0";

/** HistoryEventType in durable-functions (lib/src/history/HistoryEventType.js). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;
export type EventTypeName = keyof typeof EventType;

/** ActionType in durable-functions (lib/src/actions/ActionType.js). 10 is unused by the JS library. */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;
export type ActionTypeName = keyof typeof ActionType;

/** ReplaySchema in durable-functions (lib/src/orchestrations/ReplaySchema.js). */
export const ReplaySchema = { V1: 0, V2: 1, V3: 2, V4: 3 } as const;

/** The schema this backend speaks: from V2 on, `actions` lists every action since the start of the execution. */
export const UPPER_SCHEMA_VERSION = ReplaySchema.V4;

/** What the extension sends for Azure Storage: timers longer than 6 days are split into 3-day pieces. */
export const MAXIMUM_SHORT_TIMER_DURATION = "6.00:00:00";
export const LONG_RUNNING_TIMER_INTERVAL_DURATION = "3.00:00:00";
export const MAXIMUM_SHORT_TIMER_MS = 6 * 24 * 3600 * 1000;
export const LONG_RUNNING_TIMER_INTERVAL_MS = 3 * 24 * 3600 * 1000;
export const DEFAULT_HTTP_ASYNC_REQUEST_SLEEP_MS = 30_000;

/** OrchestrationFailureError's message is `<reason>\n\n$OutOfProcData$:<JSON of the orchestrator state>`. */
export const OUT_OF_PROC_DATA_LABEL = "$OutOfProcData$:";

/** Every history event carries these; the rest depends on EventType. Timestamps are ISO strings on the wire. */
export interface HistoryEventBase {
  readonly EventType: number;
  readonly EventId: number;
  readonly IsPlayed: boolean;
  readonly Timestamp: string;
}

export interface FailureDetailsPayload {
  readonly ErrorType: string;
  readonly ErrorMessage: string;
  readonly StackTrace?: string;
  readonly IsNonRetriable?: boolean;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

export type HistoryEvent = HistoryEventBase & Readonly<Record<string, unknown>>;

/** The orchestrationTrigger binding value (DurableOrchestrationBindingInfo). */
export interface OrchestratorTriggerInput {
  readonly history: readonly HistoryEvent[];
  readonly input: unknown;
  readonly instanceId: string;
  readonly isReplaying: boolean;
  readonly parentInstanceId?: string;
  readonly upperSchemaVersion: number;
  readonly maximumShortTimerDuration: string;
  readonly longRunningTimerIntervalDuration: string;
  readonly defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

/** The orchestrator's reply (OrchestratorState), also embedded in OrchestrationFailureError. */
export interface OrchestratorState {
  readonly isDone: boolean;
  readonly actions: readonly (readonly unknown[])[];
  readonly output?: unknown;
  readonly error?: string;
  readonly customStatus?: unknown;
  readonly schemaVersion: number;
  readonly failureDetails?: FailureDetailsPayload;
}

/** One operation in the entityTrigger batch; `input` is JSON text. */
export interface EntityBatchOperation {
  readonly id: string;
  readonly name: string;
  readonly signal: boolean;
  readonly input?: string;
}

/** The entityTrigger binding value (DurableEntityBindingInfo). `state` is JSON text. */
export interface EntityTriggerInput {
  readonly self: { readonly name: string; readonly key: string };
  readonly exists: boolean;
  readonly state?: string;
  readonly batch: readonly EntityBatchOperation[];
}

export interface EntityOperationResult {
  readonly isError: boolean;
  readonly duration: number;
  readonly startTime: number;
  /** JSON text of the returned value or of the thrown error. */
  readonly result?: string;
}

export interface EntitySignalOut {
  readonly target: { readonly name: string; readonly key: string };
  readonly name: string;
  /** JSON text, or "" for no input. */
  readonly input: string;
  readonly requestId: string;
  readonly requestTime: number;
}

/** The entity function's reply (EntityState). */
export interface EntityBatchResult {
  readonly entityExists: boolean;
  readonly entityState?: string;
  readonly results: readonly EntityOperationResult[];
  readonly signals: readonly EntitySignalOut[];
}

/** What an entity call returns to the orchestration, as the Input (JSON text) of an EventRaised named by request id. */
export interface EntityResponseMessage {
  /** JSON text of the result. */
  readonly result?: string;
  readonly exceptionType?: string;
}

/** The RequestMessage an orchestration sends to an entity, recorded as the Input of EventSent (only `id` is read). */
export interface EntityRequestMessage {
  readonly id: string;
  readonly op: string;
  readonly signal: boolean;
  readonly input?: string;
  readonly parent: string;
}

/** Entity scheduler id as the library builds it: the name lower-cased, the key kept. */
export function entitySchedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export function parseEntitySchedulerId(schedulerId: string): { name: string; key: string } | undefined {
  if (!schedulerId.startsWith("@")) return undefined;
  const at = schedulerId.indexOf("@", 1);
  if (at < 0) return undefined;
  return { name: schedulerId.substring(1, at), key: schedulerId.substring(at + 1) };
}
