// hrTermination step by step, on a context of the test's own: the timers it sets (never more than 5 days ahead), what
// a later HR event does to it (cancel, or move the date), and the offboarding it starts when the date comes.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import type { OrchestrationContext } from "durable-functions";
import { HR_TERMINATION_EVENT, MAX_TIMER_STEP_MS, hrTermination } from "../../../src/orchestrations/hr-termination";
import type { HrTerminationChange, HrTerminationInput } from "../../../src/orchestrations/hr-termination";

const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1, 9, 0, 0);

interface Timer {
  readonly kind: "timer";
  readonly at: string;
  cancelled: boolean;
  cancel(): void;
}
interface EventWait {
  readonly kind: "event";
  readonly name: string;
  result: unknown;
}
type Yielded =
  | { readonly any: readonly [Timer, EventWait] }
  | { readonly sub: { readonly name: string; readonly input: unknown; readonly instanceId: string } };

function termination(eventId: string, effectiveAt: number): HrTerminationInput {
  return {
    eventId,
    upn: "ann@contoso.com",
    effectiveAt: new Date(effectiveAt).toISOString(),
    offboard: {
      request: {
        upn: "ann@contoso.com",
        requestId: `hr-${eventId}`,
        reason: "terminated",
        source: "hr",
        sourceId: eventId,
        actor: "hr:queue",
        effectiveAt: new Date(effectiveAt).toISOString(),
        gatewayIds: ["gw-1"],
      },
      writers: [],
    },
    offboardInstanceId: `offboard-${eventId}`,
  };
}

class Flow {
  readonly statuses: unknown[] = [];
  readonly clock = { now: T0 };
  readonly #gen: Generator<unknown, unknown, unknown>;
  #step: IteratorResult<unknown, unknown>;

  constructor(input: HrTerminationInput) {
    const clock = this.clock;
    const df = {
      getInput: () => JSON.parse(JSON.stringify(input)) as unknown,
      get currentUtcDateTime() {
        return new Date(clock.now);
      },
      setCustomStatus: (status: unknown) => this.statuses.push(status),
      createTimer: (at: Date): Timer => ({
        kind: "timer",
        at: at.toISOString(),
        cancelled: false,
        cancel() {
          this.cancelled = true;
        },
      }),
      waitForExternalEvent: (name: string): EventWait => ({ kind: "event", name, result: undefined }),
      Task: { any: (tasks: readonly [Timer, EventWait]) => ({ any: tasks }) },
      callSubOrchestrator: (name: string, subInput: unknown, instanceId: string) => ({
        sub: { name, input: subInput, instanceId },
      }),
    };
    this.#gen = hrTermination({ df } as unknown as OrchestrationContext) as Generator<unknown, unknown, unknown>;
    this.#step = this.#gen.next();
  }

  get pending(): Yielded {
    if (this.#step.done === true) throw new Error("the orchestration has ended");
    return this.#step.value as Yielded;
  }

  get waits(): readonly [Timer, EventWait] {
    const pending = this.pending;
    if (!("any" in pending)) throw new Error("not waiting on a timer and an event");
    return pending.any;
  }

  fireTimer(): void {
    const [timer] = this.waits;
    this.clock.now = Date.parse(timer.at);
    this.#step = this.#gen.next(timer);
  }

  raise(change: HrTerminationChange): Timer {
    const [timer, event] = this.waits;
    expect(event.name).toBe(HR_TERMINATION_EVENT);
    event.result = change;
    this.#step = this.#gen.next(event);
    return timer;
  }

  answer(result: unknown): void {
    this.#step = this.#gen.next(result);
  }

  get output(): unknown {
    if (this.#step.done !== true) throw new Error("the orchestration still waits");
    return this.#step.value;
  }
}

describe("hrTermination", () => {
  it("waits in steps of at most 5 days, then offboards through the sub-orchestration under its given id", () => {
    expect(MAX_TIMER_STEP_MS).toBe(5 * DAY);
    const input = termination("ev-1", T0 + 12 * DAY);
    const flow = new Flow(input);
    expect(flow.waits[0].at).toBe(new Date(T0 + 5 * DAY).toISOString());
    expect(flow.statuses.at(-1)).toEqual({ step: "waiting", eventId: "ev-1", effectiveAt: input.effectiveAt });
    flow.fireTimer();
    expect(flow.waits[0].at).toBe(new Date(T0 + 10 * DAY).toISOString());
    flow.fireTimer();
    // The last step ends at the date itself.
    expect(flow.waits[0].at).toBe(input.effectiveAt);
    flow.fireTimer();
    expect(flow.pending).toEqual({
      sub: { name: "offboardUser", input: input.offboard, instanceId: "offboard-ev-1" },
    });
    expect(flow.statuses.at(-1)).toEqual({ step: "offboarding", eventId: "ev-1", effectiveAt: input.effectiveAt });
    flow.answer({ revoked: 1 });
    expect(flow.output).toEqual({ outcome: "offboarded", eventId: "ev-1", offboardInstanceId: "offboard-ev-1" });
    expect(flow.statuses.at(-1)).toEqual({ step: "offboarded", eventId: "ev-1" });
  });

  it("offboards at once when the date has come, the date itself included", () => {
    const flow = new Flow(termination("ev-2", T0));
    expect(flow.pending).toEqual({
      sub: { name: "offboardUser", input: termination("ev-2", T0).offboard, instanceId: "offboard-ev-2" },
    });
  });

  it("a cancelling event ends it without offboarding, and cancels the timer so the instance can end", () => {
    const flow = new Flow(termination("ev-3", T0 + 3 * DAY));
    const timer = flow.raise({ kind: "cancel", eventId: "ev-4", reason: "rehired" });
    expect(timer.cancelled).toBe(true);
    expect(flow.output).toEqual({ outcome: "cancelled", eventId: "ev-3", byEventId: "ev-4", reason: "rehired" });
    expect(flow.statuses.at(-1)).toEqual({ step: "cancelled", eventId: "ev-3", byEventId: "ev-4" });
  });

  it("a rescheduling event moves the date and the offboarding to the new termination's", () => {
    const flow = new Flow(termination("ev-5", T0 + 3 * DAY));
    const moved = termination("ev-6", T0 + 1 * DAY);
    const timer = flow.raise({ kind: "reschedule", input: moved });
    expect(timer.cancelled).toBe(true);
    expect(flow.waits[0].at).toBe(moved.effectiveAt);
    expect(flow.statuses.at(-1)).toEqual({ step: "waiting", eventId: "ev-6", effectiveAt: moved.effectiveAt });
    flow.fireTimer();
    expect(flow.pending).toEqual({ sub: { name: "offboardUser", input: moved.offboard, instanceId: "offboard-ev-6" } });
  });

  it("a timer that fires before the date (an early wake-up) only waits again", () => {
    const input = termination("ev-7", T0 + 2 * DAY);
    const flow = new Flow(input);
    const [timer] = flow.waits;
    flow.clock.now = T0 + DAY;
    flow.answer(timer);
    expect(flow.waits[0].at).toBe(input.effectiveAt);
    expect(timer.cancelled).toBe(false);
  });
});
