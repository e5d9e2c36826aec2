// Turns the orchestrator's new decisions into scheduled work and history: activities, sub-orchestrations, timers and
// entity messages, each under the sequence id the library gives it. Retries and long timers take further ids while
// the library replays their events (a retry's wait timer and each new attempt; each piece of a long timer), so the
// event that triggers such a follow-up always ends its episode and the follow-up is numbered after the decisions of
// that episode: the same order in which the library's replay numbers them.
import { randomUUID } from "node:crypto";
import type { Clock, FunctionInvoker } from "../host/contracts";
import { consumesSequenceId } from "./actions";
import type { Leaf } from "./actions";
import type { EntityEngine } from "./entities";
import { findFunction, missingFunctionMessage } from "./functions";
import { history } from "./history";
import type { TaskFailure } from "./history";
import type { AttemptedTask, Execution, InboxItem, OrchestrationInstance, TimerTask } from "./instance";
import { toJsonText } from "./json";
import { EventType, LONG_RUNNING_TIMER_INTERVAL_MS, MAXIMUM_SHORT_TIMER_MS } from "./protocol";
import type { EntityRequestMessage, HistoryEvent } from "./protocol";
import type { Redelivery } from "./redelivery";
import { AFTER_EFFECT_FAILURE_REASON } from "./after-effect-failures";
import type { AfterEffectFailures } from "./after-effect-failures";
import { activityFailure } from "./replies";
import { retryDelayMs, withinRetryTimeout } from "./retry-policy";
import type { WorkScheduler } from "./work-scheduler";

/** One run of the orchestrator: the events it saw, to which the scheduling events of its decisions are appended. */
export interface Episode {
  readonly instance: OrchestrationInstance;
  readonly execution: Execution;
  readonly atMs: number;
  readonly events: HistoryEvent[];
}

/** A follow-up the library numbers while replaying an event (see the file comment). */
export type FollowUp =
  | { readonly kind: "retryTimer"; readonly task: AttemptedTask }
  | { readonly kind: "retryAttempt"; readonly task: AttemptedTask }
  | { readonly kind: "timerPiece"; readonly task: TimerTask };

export interface DispatchHost {
  readonly invoker: FunctionInvoker;
  readonly clock: Clock;
  readonly work: () => WorkScheduler;
  readonly entities: EntityEngine;
  readonly redelivery: Redelivery;
  readonly afterEffectFailures: AfterEffectFailures;
  readonly log: (line: string) => void;
  /** Queues an event for the instance's next episode (dropped if that execution is over, or a duplicate). */
  deliver(instance: OrchestrationInstance, execution: Execution, event: HistoryEvent): void;
  /** Starts a sub-orchestration; returns why it could not start, if it could not. */
  startChild(
    episode: Episode,
    taskId: number,
    functionName: string,
    instanceId: string,
    input: unknown,
  ): string | undefined;
}

function numberField(event: HistoryEvent, field: string): number | undefined {
  const value = event[field];
  return typeof value === "number" ? value : undefined;
}

export class TaskDispatcher {
  readonly #host: DispatchHost;

  constructor(host: DispatchHost) {
    this.#host = host;
  }

  /** Whether replaying this inbox event makes the library number a follow-up (then it must end the episode). */
  classify(execution: Execution, item: InboxItem, atMs: number): FollowUp | undefined {
    const event = item.event;
    if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
      const task = execution.tasks.get(numberField(event, "TaskScheduledId") ?? -1);
      if (task?.kind === "attempted" && task.retry !== undefined) return { kind: "retryTimer", task };
    }
    if (event.EventType === EventType.TimerFired) {
      const task = execution.tasks.get(numberField(event, "TimerId") ?? -1);
      if (task?.kind === "attempted" && task.retry !== undefined && task.failures < task.retry.maxNumberOfAttempts) {
        return { kind: "retryAttempt", task };
      }
      if (task?.kind === "timer" && task.finalFireAtMs > atMs) return { kind: "timerPiece", task };
    }
    return undefined;
  }

  /**
   * Records a new decision and starts its work. A timer the orchestrator did not cancel is armed even when the
   * orchestrator is done: it keeps the instance running until it fires, as DurableTask.Core completes an orchestration
   * only once it has no open tasks (TaskOrchestrationExecutor, `if (!this.context.HasOpenTasks)`).
   */
  schedule(episode: Episode, leaf: Leaf): void {
    const execution = episode.execution;
    const sequenceId = consumesSequenceId(leaf) ? execution.nextSequenceId++ : undefined;
    execution.leaves.push(sequenceId === undefined ? { leaf } : { leaf, sequenceId });
    if (sequenceId === undefined) return;
    switch (leaf.kind) {
      case "activity":
      case "subOrchestration": {
        const task: AttemptedTask = {
          kind: "attempted",
          leaf,
          ...(leaf.retry === undefined ? {} : { retry: leaf.retry }),
          firstAttemptAtMs: episode.atMs,
          failures: 0,
        };
        execution.tasks.set(sequenceId, task);
        this.#attempt(episode, task, sequenceId);
        return;
      }
      case "timer": {
        const task: TimerTask = {
          kind: "timer",
          finalFireAtMs: leaf.fireAtMs,
          currentId: sequenceId,
          canceled: leaf.isCanceled,
        };
        execution.tasks.set(sequenceId, task);
        this.#timerPiece(episode, task, sequenceId);
        return;
      }
      case "entityCall":
      case "entitySignal":
        execution.tasks.set(sequenceId, { kind: "entity" });
        this.#sendToEntity(episode, leaf, sequenceId);
        return;
      default:
        return;
    }
  }

  followUp(episode: Episode, followUp: FollowUp): void {
    const execution = episode.execution;
    const id = execution.nextSequenceId++;
    execution.tasks.set(id, followUp.task);
    switch (followUp.kind) {
      case "retryTimer": {
        const task = followUp.task;
        const retry = task.retry;
        if (retry === undefined) return;
        // DurableTask.Core's RetryInterceptor (Azure/durabletask src/DurableTask.Core/RetryInterceptor.cs): after the
        // last attempt a "dummy timer for back-compat" due at once, so the error reaches the orchestrator without a
        // further wait; before it, the backoff delay, unless the retry timeout has passed.
        const last = task.failures >= retry.maxNumberOfAttempts;
        if (!last && !withinRetryTimeout(retry, task.firstAttemptAtMs, episode.atMs)) {
          // Then the interceptor schedules no timer and throws, but durable-functions' RetryableTask waits for a timer
          // that never comes: the instance never ends (Azure/azure-functions-durable-js#629). Modelled as it is.
          this.#host.log(
            `durable: ${task.leaf.functionName} in ${episode.instance.instanceId} failed after its retry timeout: ` +
              "on Azure the orchestrator never sees the error (durable-js#629); the instance waits for ever",
          );
          return;
        }
        const fireAtMs = episode.atMs + (last ? 0 : retryDelayMs(retry, task.failures));
        episode.events.push(history.timerCreated(episode.atMs, id, fireAtMs));
        this.#arm(episode.instance, execution, id, fireAtMs);
        return;
      }
      case "retryAttempt":
        this.#attempt(episode, followUp.task, id);
        return;
      case "timerPiece":
        this.#timerPiece(episode, followUp.task, id);
        return;
    }
  }

  /** Stops timers the replay now reports as canceled (timer.cancel() after Task.any). */
  applyCancellations(execution: Execution, replayed: readonly Leaf[]): void {
    execution.leaves.forEach((recorded, index) => {
      const now = replayed[index];
      if (recorded.sequenceId === undefined || now?.kind !== "timer" || !now.isCanceled) return;
      const task = execution.tasks.get(recorded.sequenceId);
      if (task?.kind !== "timer" || task.canceled) return;
      task.canceled = true;
      execution.timers.get(task.currentId)?.();
      execution.timers.delete(task.currentId);
      execution.open.delete(task.currentId);
    });
  }

  #attempt(episode: Episode, task: AttemptedTask, id: number): void {
    const { leaf } = task;
    const at = episode.atMs;
    if (leaf.kind === "activity") {
      episode.events.push(history.taskScheduled(at, id, leaf.functionName, toJsonText(leaf.input)));
    } else {
      const childId = this.#childId(episode, leaf.instanceId, id);
      episode.events.push(history.subOrchestrationCreated(at, id, leaf.functionName, childId, toJsonText(leaf.input)));
    }
    episode.execution.open.add(id);
    if (leaf.kind === "subOrchestration") {
      const childId = this.#childId(episode, leaf.instanceId, id);
      const problem = this.#host.startChild(episode, id, leaf.functionName, childId, leaf.input);
      if (problem !== undefined) this.#failAttempt(episode, task, id, { reason: problem, details: "" });
      return;
    }
    const fn = findFunction(this.#host.invoker, leaf.functionName, "activityTrigger");
    if (fn === undefined) {
      const reason = missingFunctionMessage(leaf.functionName, "activityTrigger");
      this.#failAttempt(episode, task, id, { reason, details: "" });
      return;
    }
    const { instance, execution } = episode;
    const description = `activity ${fn.name} for ${instance.instanceId} (task ${String(id)})`;
    this.#host.work().run({
      description,
      run: async () => {
        const { event, failure } = this.#afterEffect(await this.#execute(fn.name, leaf.input, id), fn.name, id);
        if (failure !== undefined) {
          task.failures++;
          task.lastFailure = failure;
        }
        this.#host.deliver(instance, execution, event);
        if (!this.#host.redelivery.twice()) return;
        // At-least-once: the work item is processed again. Its completion arrives after the first and is dropped
        // as a duplicate, as DurableTask.Core's TaskOrchestrationContext drops a TaskCompleted for a task it no
        // longer waits for (LogDuplicateEvent); only the side effects of the second run remain.
        this.#host.log(`durable: at-least-once: running ${description} again`);
        this.#host.work().run({
          description: `${description}, delivered again`,
          run: async () => {
            this.#host.deliver(instance, execution, (await this.#execute(fn.name, leaf.input, id)).event);
          },
        });
      },
    });
  }

  /** With the after-effect failure mode on, may turn a completed execution (its side effect made) into a failure. */
  #afterEffect(
    outcome: { event: HistoryEvent; failure?: TaskFailure },
    functionName: string,
    id: number,
  ): { event: HistoryEvent; failure?: TaskFailure } {
    if (outcome.failure !== undefined || !this.#host.afterEffectFailures.hit()) return outcome;
    this.#host.log(`durable: after-effect failure: activity ${functionName} (task ${String(id)}) completed, failed`);
    const failure: TaskFailure = {
      reason: `Activity function '${functionName}' failed: ${AFTER_EFFECT_FAILURE_REASON}`,
      details: "",
    };
    return { event: history.taskFailed(this.#host.clock.now(), id, failure), failure };
  }

  /** One execution of an activity, as the completion event it produces. */
  async #execute(
    functionName: string,
    input: unknown,
    id: number,
  ): Promise<{ event: HistoryEvent; failure?: TaskFailure }> {
    const { invoker, clock } = this.#host;
    try {
      const outcome = await invoker.invoke(functionName, input ?? null);
      return { event: history.taskCompleted(clock.now(), id, toJsonText(outcome.returnValue)) };
    } catch (error) {
      const failure = activityFailure(functionName, error);
      return { event: history.taskFailed(clock.now(), id, failure), failure };
    }
  }

  /**
   * A sub-orchestration started without an id gets `<parent execution id>:<sequence id>`, as DurableTask.Core's
   * TaskOrchestrationContext.CreateSubOrchestrationInstanceCore names it.
   */
  #childId(episode: Episode, instanceId: string | undefined, id: number): string {
    return instanceId ?? `${episode.execution.executionId}:${String(id)}`;
  }

  #failAttempt(episode: Episode, task: AttemptedTask, id: number, failure: TaskFailure): void {
    task.failures++;
    task.lastFailure = failure;
    const now = this.#host.clock.now();
    const event =
      task.leaf.kind === "activity"
        ? history.taskFailed(now, id, failure)
        : history.subOrchestrationFailed(now, id, failure);
    this.#host.deliver(episode.instance, episode.execution, event);
  }

  /** Long timers wait in pieces of at most the long-running interval, as the library expects. */
  #timerPiece(episode: Episode, task: TimerTask, id: number): void {
    const remaining = task.finalFireAtMs - episode.atMs;
    const fireAtMs =
      remaining > MAXIMUM_SHORT_TIMER_MS ? episode.atMs + LONG_RUNNING_TIMER_INTERVAL_MS : task.finalFireAtMs;
    task.currentId = id;
    episode.events.push(history.timerCreated(episode.atMs, id, fireAtMs));
    if (!task.canceled) this.#arm(episode.instance, episode.execution, id, fireAtMs);
  }

  #arm(instance: OrchestrationInstance, execution: Execution, id: number, fireAtMs: number): void {
    const { clock } = this.#host;
    execution.open.add(id);
    if (fireAtMs <= clock.now()) {
      // Already due (a retry whose timeout passed, a timer in the past): fire now so idle() still covers it.
      this.#host.deliver(instance, execution, history.timerFired(clock.now(), id, fireAtMs));
      return;
    }
    const cancel = clock.schedule(fireAtMs, () => {
      if (!execution.timers.delete(id)) return;
      this.#host.deliver(instance, execution, history.timerFired(clock.now(), id, fireAtMs));
    });
    execution.timers.set(id, cancel);
  }

  #sendToEntity(episode: Episode, leaf: Extract<Leaf, { kind: "entityCall" | "entitySignal" }>, id: number): void {
    const { instance, execution } = episode;
    const requestId = randomUUID();
    const signal = leaf.kind === "entitySignal";
    const input = leaf.input === undefined ? undefined : toJsonText(leaf.input);
    const message: EntityRequestMessage = {
      id: requestId,
      op: leaf.operation,
      signal,
      ...(input === undefined ? {} : { input }),
      parent: instance.instanceId,
    };
    episode.events.push(history.eventSent(episode.atMs, id, leaf.entityId, "op", JSON.stringify(message)));
    const { clock } = this.#host;
    this.#host.entities.enqueue(leaf.entityId, {
      id: requestId,
      name: leaf.operation,
      signal,
      ...(input === undefined ? {} : { input }),
      ...(signal
        ? {}
        : {
            reply: (response) => {
              this.#host.deliver(
                instance,
                execution,
                history.eventRaised(clock.now(), requestId, JSON.stringify(response)),
              );
            },
          }),
    });
  }
}
