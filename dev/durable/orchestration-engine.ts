// Orchestration instances and their episodes. An episode shows the orchestrator its committed history plus the new
// events (OrchestratorStarted stamped from the clock first), invokes it through the host so durable-functions replays
// it with its own executor, checks the replayed decisions against the recorded ones, and schedules the new ones.
import type { Clock, FunctionInvoker } from "../host/contracts";
import { ProtocolError, describeAction, describeRecorded, flattenActions, sameDecision } from "./actions";
import type { Leaf } from "./actions";
import type { EntityEngine } from "./entities";
import { findFunction, missingFunctionMessage } from "./functions";
import { completedTaskId, history } from "./history";
import type { TaskFailure } from "./history";
import { cancelTimers, hasOpenTasks, isRunnable, isTerminal, newExecution } from "./instance";
import type { Execution, InboxItem, OrchestrationInstance, ParentLink, RuntimeStatus } from "./instance";
import { errorMessage, toJsonText } from "./json";
import { ReplaySchema } from "./protocol";
import type { FailureDetailsPayload, HistoryEvent } from "./protocol";
import type { Redelivery } from "./redelivery";
import type { AfterEffectFailures } from "./after-effect-failures";
import { readOrchestratorFailure, readOrchestratorState } from "./replies";
import type { OrchestratorFailure, ReplyState } from "./replies";
import { TaskDispatcher } from "./task-dispatch";
import type { Episode, FollowUp } from "./task-dispatch";
import { orchestratorTrigger } from "./triggers";
import type { WorkItem, WorkScheduler } from "./work-scheduler";

export interface OrchestrationEngineDeps {
  readonly invoker: FunctionInvoker;
  readonly clock: Clock;
  readonly work: () => WorkScheduler;
  readonly entities: EntityEngine;
  readonly redelivery: Redelivery;
  readonly afterEffectFailures: AfterEffectFailures;
  readonly log: (line: string) => void;
}

export interface StartRequest {
  /** The registered orchestrator function name. */
  readonly name: string;
  readonly instanceId: string;
  /** JSON value (null for none). */
  readonly input: unknown;
  readonly parent?: ParentLink;
}

export type StartResult =
  | { readonly kind: "started"; readonly instance: OrchestrationInstance }
  | { readonly kind: "conflict"; readonly status: RuntimeStatus };

export type ManagementResult = "accepted" | "notFound" | "gone";

export interface InstanceFilter {
  readonly createdFromMs?: number;
  readonly createdToMs?: number;
  readonly statuses?: ReadonlySet<RuntimeStatus>;
  readonly instanceIdPrefix?: string;
}

type Reply =
  | { readonly kind: "state"; readonly state: ReplyState }
  | { readonly kind: "failure"; readonly failure: OrchestratorFailure };

function isContinueAsNew(leaf: Leaf): leaf is Extract<Leaf, { kind: "continueAsNew" }> {
  return leaf.kind === "continueAsNew";
}

function isUnsupported(leaf: Leaf): leaf is Extract<Leaf, { kind: "unsupported" }> {
  return leaf.kind === "unsupported";
}

/**
 * The decisions that leave history. Waits for external events leave none, so renaming one is no nondeterminism on
 * Azure (DurableTask.Core's TaskOrchestrationContext checks only scheduled tasks, timers and sub-orchestrations
 * against history): the backend neither records nor compares them.
 */
function isRecordedDecision(leaf: Leaf): boolean {
  return leaf.kind !== "externalEvent";
}

export class OrchestrationEngine {
  readonly #deps: OrchestrationEngineDeps;
  readonly #instances = new Map<string, OrchestrationInstance>();
  readonly #dispatch: TaskDispatcher;

  constructor(deps: OrchestrationEngineDeps) {
    this.#deps = deps;
    this.#dispatch = new TaskDispatcher({
      invoker: deps.invoker,
      clock: deps.clock,
      work: deps.work,
      entities: deps.entities,
      redelivery: deps.redelivery,
      afterEffectFailures: deps.afterEffectFailures,
      log: deps.log,
      deliver: (instance, execution, event) => {
        this.#deliver(instance, execution, { event, external: false });
      },
      startChild: (episode, taskId, functionName, instanceId, input) =>
        this.#startChild(episode, taskId, functionName, instanceId, input),
    });
  }

  get(instanceId: string): OrchestrationInstance | undefined {
    return this.#instances.get(instanceId);
  }

  /** Instances matching the filter, oldest first. */
  query(filter: InstanceFilter): OrchestrationInstance[] {
    return [...this.#instances.values()]
      .filter(
        (instance) =>
          (filter.createdFromMs === undefined || instance.createdAtMs >= filter.createdFromMs) &&
          (filter.createdToMs === undefined || instance.createdAtMs <= filter.createdToMs) &&
          (filter.statuses === undefined || filter.statuses.has(instance.status)) &&
          (filter.instanceIdPrefix === undefined || instance.instanceId.startsWith(filter.instanceIdPrefix)),
      )
      .sort((a, b) => a.createdAtMs - b.createdAtMs || a.instanceId.localeCompare(b.instanceId));
  }

  /** Starts (or restarts a finished) instance; a running one with the same id is a conflict. */
  start(request: StartRequest): StartResult {
    const existing = this.#instances.get(request.instanceId);
    if (existing !== undefined && !isTerminal(existing.status)) return { kind: "conflict", status: existing.status };
    if (existing !== undefined) cancelTimers(existing.execution);
    const now = this.#deps.clock.now();
    const execution = newExecution(request.input);
    execution.inbox.push({ event: this.#executionStarted(now, request, execution), external: false });
    const instance: OrchestrationInstance = {
      instanceId: request.instanceId,
      name: request.name,
      status: "Pending",
      createdAtMs: now,
      lastUpdatedAtMs: now,
      output: null,
      customStatus: null,
      ...(request.parent === undefined ? {} : { parent: request.parent }),
      execution,
      busy: false,
    };
    this.#instances.set(request.instanceId, instance);
    this.#deps.log(`durable: started orchestration ${request.name} (${request.instanceId})`);
    this.#deps.work().requestPump();
    return { kind: "started", instance };
  }

  raiseEvent(instanceId: string, eventName: string, inputText: string | undefined): ManagementResult {
    const instance = this.#instances.get(instanceId);
    if (instance === undefined) return "notFound";
    if (isTerminal(instance.status)) return "gone";
    const event = history.eventRaised(this.#deps.clock.now(), eventName, inputText);
    this.#deliver(instance, instance.execution, { event, external: true });
    if (this.#deps.redelivery.twice()) {
      // At-least-once: the Azure Storage backend can put the same event message on the instance's queue twice.
      this.#deps.log(`durable: at-least-once: event ${eventName} delivered twice to ${instanceId}`);
      this.#deliver(instance, instance.execution, { event: { ...event }, external: true });
    }
    return "accepted";
  }

  terminate(instanceId: string, reason: string): ManagementResult {
    const instance = this.#instances.get(instanceId);
    if (instance === undefined) return "notFound";
    if (isTerminal(instance.status)) return "gone";
    const now = this.#deps.clock.now();
    instance.execution.history.push(
      history.executionTerminated(now, reason),
      history.executionCompleted(now, "Terminated", toJsonText(reason)),
    );
    instance.status = "Terminated";
    instance.output = reason;
    instance.lastUpdatedAtMs = now;
    this.#deps.log(`durable: terminated ${instance.name} (${instanceId}): ${reason}`);
    this.#finish(instance);
    return "accepted";
  }

  suspend(instanceId: string, reason: string): ManagementResult {
    const instance = this.#instances.get(instanceId);
    if (instance === undefined) return "notFound";
    if (isTerminal(instance.status)) return "gone";
    if (instance.status === "Suspended") return "accepted";
    const now = this.#deps.clock.now();
    instance.statusBeforeSuspend = instance.status;
    instance.status = "Suspended";
    instance.lastUpdatedAtMs = now;
    instance.execution.history.push(history.executionSuspended(now, reason));
    return "accepted";
  }

  resume(instanceId: string, reason: string): ManagementResult {
    const instance = this.#instances.get(instanceId);
    if (instance === undefined) return "notFound";
    if (isTerminal(instance.status)) return "gone";
    if (instance.status !== "Suspended") return "accepted";
    const now = this.#deps.clock.now();
    instance.status = instance.statusBeforeSuspend ?? "Running";
    instance.lastUpdatedAtMs = now;
    instance.execution.history.push(history.executionResumed(now, reason));
    this.#deps.work().requestPump();
    return "accepted";
  }

  /**
   * Deletes an instance whatever its status: the extension's purge by id only checks that the instance exists
   * (HttpApiHandler.HandleDeleteHistoryByIdRequestAsync), so a running one goes too.
   */
  purge(instanceId: string): "purged" | "notFound" {
    const instance = this.#instances.get(instanceId);
    if (instance === undefined) return "notFound";
    cancelTimers(instance.execution);
    this.#instances.delete(instanceId);
    return "purged";
  }

  /** Deletes the finished instances matching the filter; returns how many. */
  purgeWhere(filter: InstanceFilter): number {
    const doomed = this.query(filter).filter((instance) => isTerminal(instance.status));
    for (const instance of doomed) this.#instances.delete(instance.instanceId);
    return doomed.length;
  }

  findWork(): WorkItem[] {
    const items: WorkItem[] = [];
    for (const instance of this.#instances.values()) {
      if (instance.busy || !isRunnable(instance.status) || instance.execution.inbox.length === 0) continue;
      instance.busy = true;
      items.push({
        description: `orchestration ${instance.name} (${instance.instanceId})`,
        run: () => this.#runEpisode(instance),
      });
    }
    return items;
  }

  cancelAllTimers(): void {
    for (const instance of this.#instances.values()) cancelTimers(instance.execution);
  }

  #executionStarted(atMs: number, request: StartRequest, execution: Execution): HistoryEvent {
    return history.executionStarted(atMs, {
      name: request.name,
      input: toJsonText(request.input),
      instanceId: request.instanceId,
      executionId: execution.executionId,
      ...(request.parent === undefined ? {} : { parentInstanceId: request.parent.instanceId }),
    });
  }

  #isCurrent(instance: OrchestrationInstance, execution: Execution): boolean {
    return (
      this.#instances.get(instance.instanceId) === instance &&
      instance.execution === execution &&
      !isTerminal(instance.status)
    );
  }

  #deliver(instance: OrchestrationInstance, execution: Execution, item: InboxItem): void {
    if (!this.#isCurrent(instance, execution)) return;
    const taskId = completedTaskId(item.event);
    if (taskId !== undefined && !execution.open.delete(taskId)) {
      // DurableTask.Core's TaskOrchestrationContext ignores a completion for a task it no longer waits for
      // (LogDuplicateEvent): at-least-once delivery sends such duplicates.
      this.#deps.log(`durable: dropped a duplicate completion of task ${String(taskId)} in ${instance.instanceId}`);
      return;
    }
    execution.inbox.push(item);
    this.#deps.work().requestPump();
  }

  /**
   * The inbox up to and including the first event whose replay numbers a follow-up. Every event a client raised that
   * is queued by then goes into the same episode, as the Azure Storage backend hands an instance all its queued
   * messages at once: an orchestration that continues as new in that episode loses those it did not consume, the
   * harshest case a design must survive. Events raised after the episode started wait for the next one.
   */
  #takeBatch(execution: Execution, atMs: number): { batch: InboxItem[]; followUp?: FollowUp } {
    const batch: InboxItem[] = [];
    for (;;) {
      const item = execution.inbox.shift();
      if (item === undefined) return { batch };
      batch.push(item);
      const followUp = this.#dispatch.classify(execution, item, atMs);
      if (followUp !== undefined) return { batch, followUp };
    }
  }

  async #runEpisode(instance: OrchestrationInstance): Promise<void> {
    const execution = instance.execution;
    const atMs = this.#deps.clock.now();
    const { batch, followUp } = this.#takeBatch(execution, atMs);
    const events: HistoryEvent[] = [history.orchestratorStarted(atMs), ...batch.map((item) => item.event)];
    const trigger = orchestratorTrigger({
      past: execution.history,
      episode: events,
      input: execution.input,
      instanceId: instance.instanceId,
      ...(instance.parent === undefined ? {} : { parentInstanceId: instance.parent.instanceId }),
    });
    let reply: Reply;
    try {
      const outcome = await this.#deps.invoker.invoke(instance.name, trigger);
      reply = { kind: "state", state: readOrchestratorState(outcome.returnValue) };
    } catch (error) {
      reply =
        error instanceof ProtocolError
          ? { kind: "failure", failure: { message: `its reply is not understood: ${error.message}` } }
          : { kind: "failure", failure: readOrchestratorFailure(error) };
    }
    try {
      if (this.#isCurrent(instance, execution)) this.#apply({ instance, execution, atMs, events }, reply, followUp);
    } finally {
      instance.busy = false;
      this.#deps.work().requestPump();
    }
  }

  #apply(episode: Episode, reply: Reply, followUp: FollowUp | undefined): void {
    const { instance, execution } = episode;
    const state = reply.kind === "state" ? reply.state : reply.failure.state;
    // Each episode's custom status is what the orchestrator set in it, null when nothing (DurableTask.Core's
    // TaskOrchestrationDispatcher: `runtimeState.Status = result?.CustomStatus`), so a generation after continueAsNew
    // that sets none shows null once it has run.
    if (state !== undefined) instance.customStatus = state.customStatus ?? null;
    let leaves: Leaf[] | undefined;
    let unreadable: string | undefined;
    if (state !== undefined) {
      try {
        leaves = flattenActions(state.actions).filter(isRecordedDecision);
      } catch (error) {
        unreadable = errorMessage(error);
      }
    }
    const nondeterminism = leaves === undefined ? undefined : this.#nondeterminism(instance, execution, leaves);
    if (nondeterminism !== undefined) {
      this.#fail(episode, nondeterminism);
      return;
    }
    const prefix = `Orchestrator function '${instance.name}'`;
    if (reply.kind === "failure") {
      if (hasOpenTasks(execution)) this.#hold(episode, followUp);
      else this.#fail(episode, `${prefix} failed: ${reply.failure.message}`, reply.failure.failureDetails);
      return;
    }
    if (leaves === undefined || reply.state.schemaVersion < ReplaySchema.V2) {
      const why = unreadable ?? `it replied with replay schema ${reply.state.schemaVersion}; V2 or later is needed`;
      this.#fail(episode, `${prefix} failed: its reply is not understood: ${why}`);
      return;
    }
    this.#dispatch.applyCancellations(execution, leaves);
    const fresh = leaves.slice(execution.leaves.length);
    const unsupported = fresh.find(isUnsupported);
    if (unsupported !== undefined) {
      this.#fail(episode, `${prefix} uses ${unsupported.what}, which the local durable backend does not support`);
      return;
    }
    for (const leaf of fresh) this.#dispatch.schedule(episode, leaf);
    // An orchestrator that is done still waits for its open tasks (an uncancelled timer, a task it no longer awaits):
    // DurableTask.Core's TaskOrchestrationExecutor completes, fails or continues it only `if (!HasOpenTasks)`.
    if (!reply.state.isDone || hasOpenTasks(execution) || followUp !== undefined) {
      if (reply.state.isDone) {
        this.#deps.log(`durable: ${instance.name} (${instance.instanceId}) is done but waits for its open tasks`);
      }
      this.#hold(episode, followUp);
      return;
    }
    // Searched in every decision: a done orchestrator held open by a timer replays its continueAsNew again.
    const continuation = leaves.find(isContinueAsNew);
    if (continuation !== undefined) this.#continueAsNew(episode, continuation.input);
    else this.#complete(episode, reply.state.output);
  }

  /** Ends the episode with the execution still running (waiting for events or for its open tasks). */
  #hold(episode: Episode, followUp: FollowUp | undefined): void {
    const { instance } = episode;
    if (followUp !== undefined) this.#dispatch.followUp(episode, followUp);
    this.#commit(episode);
    if (instance.status === "Pending" || instance.status === "ContinuedAsNew") instance.status = "Running";
    if (instance.status === "Suspended" && instance.statusBeforeSuspend !== undefined) {
      instance.statusBeforeSuspend = "Running";
    }
  }

  /** The replay must reproduce every recorded decision, in order, before making new ones. */
  #nondeterminism(
    instance: OrchestrationInstance,
    execution: Execution,
    replayed: readonly Leaf[],
  ): string | undefined {
    const head = `Nondeterministic orchestrator '${instance.name}' (instance ${instance.instanceId})`;
    for (const [position, recorded] of execution.leaves.entries()) {
      const now = replayed[position];
      const was = describeRecorded(recorded.leaf, recorded.sequenceId, position);
      if (now === undefined) return `${head}: history has ${was} but the replay did not schedule it`;
      if (!sameDecision(recorded.leaf, now))
        return `${head}: history has ${was} but the replay scheduled ${describeAction(now)}`;
    }
    return undefined;
  }

  #commit(episode: Episode): void {
    episode.execution.history.push(...episode.events, history.orchestratorCompleted(episode.atMs));
    episode.instance.lastUpdatedAtMs = episode.atMs;
  }

  #complete(episode: Episode, output: unknown): void {
    const { instance } = episode;
    episode.events.push(history.executionCompleted(episode.atMs, "Completed", toJsonText(output)));
    this.#commit(episode);
    instance.status = "Completed";
    instance.output = output ?? null;
    this.#deps.log(`durable: ${instance.name} (${instance.instanceId}) completed`);
    this.#finish(instance);
  }

  #fail(episode: Episode, message: string, failureDetails?: FailureDetailsPayload): void {
    const { instance } = episode;
    episode.events.push(history.executionCompleted(episode.atMs, "Failed", toJsonText(message), failureDetails));
    this.#commit(episode);
    instance.status = "Failed";
    instance.output = message;
    if (failureDetails !== undefined) instance.failureDetails = failureDetails;
    this.#deps.log(`durable: ${message}`);
    this.#finish(instance);
  }

  /**
   * Ends this execution and starts the next with `input` and a fresh history. Events still waiting in the inbox that a
   * client raised are carried over (the extension leaves unread messages queued for the instance); events the last
   * episode already showed the orchestrator are gone, as with continueAsNew without preserveUnprocessedEvents.
   */
  #continueAsNew(episode: Episode, input: unknown): void {
    const { instance, execution } = episode;
    const next = newExecution(input ?? null);
    episode.events.push(history.executionCompleted(episode.atMs, "ContinuedAsNew", toJsonText(input)));
    this.#commit(episode);
    cancelTimers(execution);
    const carried = execution.inbox.filter((item) => item.external);
    const start: StartRequest = {
      name: instance.name,
      instanceId: instance.instanceId,
      input: next.input,
      ...(instance.parent === undefined ? {} : { parent: instance.parent }),
    };
    next.inbox.push({ event: this.#executionStarted(episode.atMs, start, next), external: false }, ...carried);
    execution.inbox = [];
    instance.execution = next;
    instance.status = "ContinuedAsNew";
    instance.output = null;
    this.#deps.log(`durable: ${instance.name} (${instance.instanceId}) continued as new`);
  }

  /** Stops the execution's timers, drops its inbox, and reports the outcome to the parent orchestration. */
  #finish(instance: OrchestrationInstance): void {
    cancelTimers(instance.execution);
    instance.execution.inbox = [];
    const link = instance.parent;
    if (link === undefined) return;
    const parent = this.#instances.get(link.instanceId);
    if (parent?.execution.executionId !== link.executionId) return;
    const now = this.#deps.clock.now();
    if (instance.status === "Completed") {
      const event = history.subOrchestrationCompleted(now, link.taskId, toJsonText(instance.output));
      this.#deliver(parent, parent.execution, { event, external: false });
      return;
    }
    const failure: TaskFailure = {
      reason:
        instance.status === "Terminated"
          ? `Orchestrator function '${instance.name}' was terminated: ${String(instance.output)}`
          : String(instance.output),
      details: "",
      ...(instance.failureDetails === undefined ? {} : { failureDetails: instance.failureDetails }),
    };
    const task = parent.execution.tasks.get(link.taskId);
    if (task?.kind === "attempted") {
      task.failures++;
      task.lastFailure = failure;
    }
    const event = history.subOrchestrationFailed(now, link.taskId, failure);
    this.#deliver(parent, parent.execution, { event, external: false });
  }

  #startChild(
    episode: Episode,
    taskId: number,
    functionName: string,
    instanceId: string,
    input: unknown,
  ): string | undefined {
    const fn = findOrchestrator(this.#deps.invoker, functionName);
    if (typeof fn !== "string") return fn.problem;
    const parent: ParentLink = {
      instanceId: episode.instance.instanceId,
      executionId: episode.execution.executionId,
      taskId,
    };
    const started = this.start({ name: fn, instanceId, input: input ?? null, parent });
    if (started.kind === "conflict") {
      return `An orchestration instance with ID '${instanceId}' and status ${started.status} already exists.`;
    }
    return undefined;
  }
}

/** The registered name of an orchestrator function, or why there is none. */
export function findOrchestrator(invoker: FunctionInvoker, name: string): string | { problem: string } {
  const fn = findFunction(invoker, name, "orchestrationTrigger");
  return fn === undefined ? { problem: missingFunctionMessage(name, "orchestrationTrigger") } : fn.name;
}
