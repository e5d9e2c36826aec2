// A future-dated HR termination: one instance per user (hrTerminationInstanceId) waits on durable timers until the
// termination takes effect, then offboards the user. Timers are set in steps of at most 5 days, below the 6-day limit
// of durable timers in older runtimes, so any date works. While it waits, a later HR event reaches it as the external
// event HR_TERMINATION_EVENT: a rescinding termination or a (re)hire cancels it, another termination moves it.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { OFFBOARD_USER_ORCHESTRATION } from "./offboard-user";
import type { OffboardInput } from "./offboard-user";

export const HR_TERMINATION_ORCHESTRATION = "hrTermination";
export const HR_TERMINATION_EVENT = "hrTerminationChange";

/** The longest single durable timer: under the 6 days older runtimes allow. */
export const MAX_TIMER_STEP_MS = 5 * 24 * 3600_000;

export interface HrTerminationInput {
  readonly eventId: string;
  readonly upn: string;
  /** ISO time the offboarding runs. */
  readonly effectiveAt: string;
  readonly offboard: OffboardInput;
  /** The offboardUser sub-orchestration's instance id (the one an at-once offboarding of this event would get). */
  readonly offboardInstanceId: string;
}

export type HrTerminationChange =
  | { readonly kind: "cancel"; readonly eventId: string; readonly reason: string }
  | { readonly kind: "reschedule"; readonly input: HrTerminationInput };

export type HrTerminationOutcome =
  | { readonly outcome: "offboarded"; readonly eventId: string; readonly offboardInstanceId: string }
  | { readonly outcome: "cancelled"; readonly eventId: string; readonly byEventId: string; readonly reason: string };

export const hrTermination: OrchestrationHandler = function* (context: OrchestrationContext) {
  let current = context.df.getInput<HrTerminationInput>();
  for (;;) {
    const now = context.df.currentUtcDateTime.getTime();
    const due = Date.parse(current.effectiveAt);
    if (now >= due) break;
    context.df.setCustomStatus({ step: "waiting", eventId: current.eventId, effectiveAt: current.effectiveAt });
    const timer = context.df.createTimer(new Date(Math.min(due, now + MAX_TIMER_STEP_MS)));
    const change = context.df.waitForExternalEvent(HR_TERMINATION_EVENT);
    const winner: unknown = yield context.df.Task.any([timer, change]);
    if (winner !== change) continue;
    // Cancel the timer, or the instance would stay Running until it fired.
    timer.cancel();
    const event = change.result as HrTerminationChange;
    if (event.kind === "cancel") {
      context.df.setCustomStatus({ step: "cancelled", eventId: current.eventId, byEventId: event.eventId });
      const cancelled: HrTerminationOutcome = {
        outcome: "cancelled",
        eventId: current.eventId,
        byEventId: event.eventId,
        reason: event.reason,
      };
      return cancelled;
    }
    current = event.input;
  }
  context.df.setCustomStatus({ step: "offboarding", eventId: current.eventId, effectiveAt: current.effectiveAt });
  yield context.df.callSubOrchestrator(OFFBOARD_USER_ORCHESTRATION, current.offboard, current.offboardInstanceId);
  context.df.setCustomStatus({ step: "offboarded", eventId: current.eventId });
  const done: HrTerminationOutcome = {
    outcome: "offboarded",
    eventId: current.eventId,
    offboardInstanceId: current.offboardInstanceId,
  };
  return done;
};

df.app.orchestration(HR_TERMINATION_ORCHESTRATION, hrTermination);
