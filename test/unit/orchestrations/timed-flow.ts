// Drives an orchestrator that waits on durable timers and external events (Task.any), on a context of the test's own:
// timers and event waits are plain objects the test can see (when a timer is due, whether it was cancelled), the clock
// moves to a timer when it fires, and activity calls are read as OrchestrationDriver reads them.
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { callOf, overTheWire } from "./orchestration-driver";
import type { ScheduledCall } from "./orchestration-driver";

export interface FakeTimer {
  readonly kind: "timer";
  readonly at: string;
  cancelled: boolean;
  cancel(): void;
}

export interface FakeEventWait {
  readonly kind: "event";
  readonly name: string;
  result: unknown;
}

export interface SubOrchestration {
  readonly sub: { readonly name: string; readonly input: unknown; readonly instanceId: string | undefined };
}

type Wait = FakeTimer | FakeEventWait;

export class TimedFlow {
  /** Every custom status the orchestrator set, in order. */
  readonly statuses: unknown[] = [];
  readonly clock: { now: number };
  readonly #flow: Generator<unknown, unknown, unknown>;
  #step: IteratorResult<unknown, unknown>;

  constructor(orchestrator: OrchestrationHandler, input: unknown, startMs: number, instanceId = "driven-instance") {
    const clock = { now: startMs };
    this.clock = clock;
    const df = {
      instanceId,
      newGuid: (name: string) => `guid(${name})`,
      getInput: () => overTheWire(input),
      get currentUtcDateTime() {
        return new Date(clock.now);
      },
      setCustomStatus: (status: unknown) => this.statuses.push(overTheWire(status)),
      createTimer: (at: Date): FakeTimer => ({
        kind: "timer",
        at: at.toISOString(),
        cancelled: false,
        cancel() {
          this.cancelled = true;
        },
      }),
      waitForExternalEvent: (name: string): FakeEventWait => ({ kind: "event", name, result: undefined }),
      Task: { any: (tasks: readonly Wait[]) => ({ any: tasks }) },
      callSubOrchestrator: (name: string, subInput: unknown, subId?: string): SubOrchestration => ({
        sub: { name, input: subInput, instanceId: subId },
      }),
    };
    this.#flow = orchestrator({ df } as unknown as OrchestrationContext) as Generator<unknown, unknown, unknown>;
    this.#step = this.#flow.next();
  }

  get done(): boolean {
    return this.#step.done === true;
  }

  /** What the orchestrator yielded last. */
  get pending(): unknown {
    if (this.#step.done === true) throw new Error("the orchestration has ended");
    return this.#step.value;
  }

  /** The single activity call the orchestrator waits on. */
  get call(): ScheduledCall {
    return callOf(this.pending);
  }

  /** The timer and event of the Task.any the orchestrator waits on. */
  get race(): { readonly timer: FakeTimer; readonly event: FakeEventWait } {
    const waits = (this.pending as { any?: readonly Wait[] }).any;
    if (waits === undefined) throw new Error("the orchestrator does not wait on Task.any");
    const timer = waits.find((w): w is FakeTimer => w.kind === "timer");
    const event = waits.find((w): w is FakeEventWait => w.kind === "event");
    if (timer === undefined || event === undefined || waits.length !== 2) throw new Error("not a timer-or-event race");
    return { timer, event };
  }

  /**
   * Fires the timer the orchestrator waits on (alone or in a race), moving the clock to it, or to `nowMs` when given
   * (an orchestration replayed with a clock that reads otherwise); returns the timer.
   */
  fireTimer(nowMs?: number): FakeTimer {
    const pending = this.pending as Partial<FakeTimer>;
    const timer = pending.kind === "timer" ? (pending as FakeTimer) : this.race.timer;
    this.clock.now = nowMs ?? Date.parse(timer.at);
    this.#step = this.#flow.next(timer);
    return timer;
  }

  /** Raises the raced event with `payload`; returns the timer it raced against. */
  raise(name: string, payload: unknown): FakeTimer {
    const { timer, event } = this.race;
    if (event.name !== name) throw new Error(`the orchestrator waits for ${event.name}, not ${name}`);
    event.result = overTheWire(payload);
    this.#step = this.#flow.next(event);
    return timer;
  }

  /** Completes the activity or sub-orchestration the orchestrator waits on. */
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
    if (this.#step.done !== true) throw new Error("the orchestration still waits");
    return this.#step.value;
  }
}
