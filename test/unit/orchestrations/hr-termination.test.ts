// hrTermination step by step, on a context of the test's own: the timers it sets (never more than 5 days ahead), what
// a later HR event does to it (cancel, or move the date), and the offboarding it starts when the date comes.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { HR_TERMINATION_EVENT, MAX_TIMER_STEP_MS, hrTermination } from "../../../src/orchestrations/hr-termination";
import type { HrTerminationChange, HrTerminationInput } from "../../../src/orchestrations/hr-termination";
import { TimedFlow } from "./timed-flow";
import type { FakeTimer } from "./timed-flow";

const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1, 9, 0, 0);

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

function start(input: HrTerminationInput): TimedFlow {
  return new TimedFlow(hrTermination, input, T0);
}

/** Raises a later HR event for the waiting termination. */
function change(flow: TimedFlow, event: HrTerminationChange): FakeTimer {
  return flow.raise(HR_TERMINATION_EVENT, event);
}

describe("hrTermination", () => {
  it("waits in steps of at most 5 days, then offboards through the sub-orchestration under its given id", () => {
    expect(MAX_TIMER_STEP_MS).toBe(5 * DAY);
    const input = termination("ev-1", T0 + 12 * DAY);
    const flow = start(input);
    expect(flow.race.timer.at).toBe(new Date(T0 + 5 * DAY).toISOString());
    expect(flow.statuses.at(-1)).toEqual({ step: "waiting", eventId: "ev-1", effectiveAt: input.effectiveAt });
    flow.fireTimer();
    expect(flow.race.timer.at).toBe(new Date(T0 + 10 * DAY).toISOString());
    flow.fireTimer();
    // The last step ends at the date itself.
    expect(flow.race.timer.at).toBe(input.effectiveAt);
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
    const flow = start(termination("ev-2", T0));
    expect(flow.pending).toEqual({
      sub: { name: "offboardUser", input: termination("ev-2", T0).offboard, instanceId: "offboard-ev-2" },
    });
  });

  it("a cancelling event ends it without offboarding, and cancels the timer so the instance can end", () => {
    const flow = start(termination("ev-3", T0 + 3 * DAY));
    const timer = change(flow, { kind: "cancel", eventId: "ev-4", reason: "rehired" });
    expect(timer.cancelled).toBe(true);
    expect(flow.output).toEqual({ outcome: "cancelled", eventId: "ev-3", byEventId: "ev-4", reason: "rehired" });
    expect(flow.statuses.at(-1)).toEqual({ step: "cancelled", eventId: "ev-3", byEventId: "ev-4" });
  });

  it("a rescheduling event moves the date and the offboarding to the new termination's", () => {
    const flow = start(termination("ev-5", T0 + 3 * DAY));
    const moved = termination("ev-6", T0 + 1 * DAY);
    const timer = change(flow, { kind: "reschedule", input: moved });
    expect(timer.cancelled).toBe(true);
    expect(flow.race.timer.at).toBe(moved.effectiveAt);
    expect(flow.statuses.at(-1)).toEqual({ step: "waiting", eventId: "ev-6", effectiveAt: moved.effectiveAt });
    flow.fireTimer();
    expect(flow.pending).toEqual({ sub: { name: "offboardUser", input: moved.offboard, instanceId: "offboard-ev-6" } });
  });

  it("a timer that completes before the date only waits again, up to the date", () => {
    const input = termination("ev-7", T0 + 2 * DAY);
    const flow = start(input);
    // The timer completes while the durable clock reads a day before the date.
    const timer = flow.fireTimer(T0 + DAY);
    expect(flow.race.timer.at).toBe(input.effectiveAt);
    expect(timer.cancelled).toBe(false);
  });
});
