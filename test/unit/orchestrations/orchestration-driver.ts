// Drives an orchestrator generator step by step, as the durable framework does on replay: each yielded task is read as
// the activity call it schedules (name, input, retry options) and answered with a result or an error. Results cross
// as JSON, as they do through history.
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";

export interface ScheduledCall {
  readonly functionName: string;
  readonly input: unknown;
  readonly retry?: {
    readonly firstRetryIntervalInMilliseconds: number;
    readonly maxNumberOfAttempts: number;
    readonly backoffCoefficient?: number;
    readonly maxRetryIntervalInMilliseconds?: number;
  };
}

/** What the stand-in for `context.df.Task.all` yields: the tasks it was given. */
interface AllTasks {
  readonly all: readonly Task[];
}

interface ActivityAction {
  readonly functionName: string;
  readonly input: unknown;
  readonly retryOptions?: ScheduledCall["retry"];
}

export function callOf(task: unknown): ScheduledCall {
  const action = (task as { actionObj?: ActivityAction }).actionObj;
  if (action?.functionName === undefined) throw new Error(`yielded something other than an activity call`);
  const call = { functionName: action.functionName, input: action.input };
  if (action.retryOptions === undefined) return call;
  const { firstRetryIntervalInMilliseconds, maxNumberOfAttempts, backoffCoefficient, maxRetryIntervalInMilliseconds } =
    action.retryOptions;
  return {
    ...call,
    retry: {
      firstRetryIntervalInMilliseconds,
      maxNumberOfAttempts,
      backoffCoefficient,
      maxRetryIntervalInMilliseconds,
    },
  };
}

export function overTheWire(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}

export class OrchestrationDriver {
  /** Every custom status the orchestrator set, in order (the request's steps). */
  readonly customStatuses: unknown[] = [];
  readonly #flow: Generator<unknown, unknown, unknown>;
  #step: IteratorResult<unknown, unknown>;

  /** `df` adds to (or replaces) the context's `df` members: a clock, timers, events, status (gateway-writer). */
  constructor(orchestrator: OrchestrationHandler, input: unknown, df: object = {}) {
    const context = {
      // Descriptors, not values: a getter (the durable clock) stays a getter.
      df: Object.defineProperties(
        {
          getInput: () => overTheWire(input),
          // A fixed identity and clock unless the test brings its own (`df` below replaces them).
          instanceId: "driven-instance",
          currentUtcDateTime: new Date("2026-01-01T00:00:00.000Z"),
          setCustomStatus: (status: unknown) => {
            this.customStatuses.push(overTheWire(status));
          },
          Task: { all: (tasks: readonly Task[]): AllTasks => ({ all: tasks }) },
        },
        Object.getOwnPropertyDescriptors(df),
      ),
    } as unknown as OrchestrationContext;
    this.#flow = orchestrator(context) as Generator<unknown, unknown, unknown>;
    this.#step = this.#flow.next();
  }

  get done(): boolean {
    return this.#step.done === true;
  }

  /** What the orchestrator yielded last, as it yielded it (a timer or an event wait of the test's own context). */
  get pending(): unknown {
    if (this.#step.done === true) throw new Error("the orchestration has ended");
    return this.#step.value;
  }

  /** The single activity call the orchestrator waits on. */
  get call(): ScheduledCall {
    if (this.#step.done === true) throw new Error("the orchestration has ended");
    return callOf(this.#step.value);
  }

  /** The activity calls of a Task.all the orchestrator waits on. */
  get fanOut(): ScheduledCall[] {
    if (this.#step.done === true) throw new Error("the orchestration has ended");
    const yielded = this.#step.value as Partial<AllTasks>;
    if (yielded.all === undefined) throw new Error("the orchestrator waits on a single task, not on Task.all");
    return yielded.all.map(callOf);
  }

  /** Completes what the orchestrator waits on with `result`. */
  answer(result: unknown): this {
    this.#step = this.#flow.next(overTheWire(result));
    return this;
  }

  /** Fails what the orchestrator waits on, as an activity that ran out of retries does. */
  fail(error: Error): this {
    this.#step = this.#flow.throw(error);
    return this;
  }

  get output(): unknown {
    if (this.#step.done !== true) throw new Error(`the orchestration still waits on ${this.call.functionName}`);
    return this.#step.value;
  }
}
