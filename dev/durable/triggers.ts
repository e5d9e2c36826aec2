// The trigger values the backend hands orchestrator and entity functions, built in one place so the contract test can
// run durable-functions' own handlers on exactly what the backend sends.
import {
  DEFAULT_HTTP_ASYNC_REQUEST_SLEEP_MS,
  LONG_RUNNING_TIMER_INTERVAL_DURATION,
  MAXIMUM_SHORT_TIMER_DURATION,
  UPPER_SCHEMA_VERSION,
} from "./protocol";
import type { EntityBatchOperation, EntityTriggerInput, HistoryEvent, OrchestratorTriggerInput } from "./protocol";

export interface OrchestratorTriggerArgs {
  /** Events of earlier episodes (marked as played). */
  readonly past: readonly HistoryEvent[];
  /** This episode's events, starting with its OrchestratorStarted. */
  readonly episode: readonly HistoryEvent[];
  readonly input: unknown;
  readonly instanceId: string;
  readonly parentInstanceId?: string;
}

export function orchestratorTrigger(args: OrchestratorTriggerArgs): OrchestratorTriggerInput {
  return {
    history: [...args.past.map((event) => ({ ...event, IsPlayed: true })), ...args.episode],
    input: args.input,
    instanceId: args.instanceId,
    isReplaying: args.past.length > 0,
    ...(args.parentInstanceId === undefined ? {} : { parentInstanceId: args.parentInstanceId }),
    upperSchemaVersion: UPPER_SCHEMA_VERSION,
    maximumShortTimerDuration: MAXIMUM_SHORT_TIMER_DURATION,
    longRunningTimerIntervalDuration: LONG_RUNNING_TIMER_INTERVAL_DURATION,
    defaultHttpAsyncRequestSleepTimeMillseconds: DEFAULT_HTTP_ASYNC_REQUEST_SLEEP_MS,
  };
}

export interface EntityTriggerArgs {
  readonly name: string;
  readonly key: string;
  readonly exists: boolean;
  /** JSON text of the state. */
  readonly state?: string;
  readonly batch: readonly EntityBatchOperation[];
}

export function entityTrigger(args: EntityTriggerArgs): EntityTriggerInput {
  return {
    self: { name: args.name, key: args.key },
    exists: args.exists,
    ...(args.state === undefined ? {} : { state: args.state }),
    batch: args.batch.map((operation) => ({
      id: operation.id,
      name: operation.name,
      signal: operation.signal,
      ...(operation.input === undefined ? {} : { input: operation.input }),
    })),
  };
}
