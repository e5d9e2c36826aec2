// The future-dated termination wait on the local durable backend with a virtual clock: it offboards only once the
// clock passes effectiveAt (through timers of at most 5 days, so waits longer than the 6-day limit work), a cancel
// event ends it without offboarding, a reschedule moves it. offboardUser is a stand-in that records its runs.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
jest.mock("../../../src/orchestrations/offboard-user", () => ({ OFFBOARD_USER_ORCHESTRATION: "offboardUser" }));

import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import {
  HR_TERMINATION_EVENT,
  HR_TERMINATION_ORCHESTRATION,
  MAX_TIMER_STEP_MS,
} from "../../../src/orchestrations/hr-termination";
import type { HrTerminationChange, HrTerminationInput } from "../../../src/orchestrations/hr-termination";
import type { OffboardInput } from "../../../src/orchestrations/offboard-user";
import { EventType } from "../../../dev/durable/protocol";
import { HARNESS_START_MS, startDurableHarness } from "../../support/durable/harness";
import type { DurableHarness } from "../../support/durable/harness";
import { idle } from "../../support/wait";

const offboarded: { instanceId: string; input: unknown }[] = [];
df.app.orchestration("offboardUser", function* (context: OrchestrationContext) {
  if (!context.df.isReplaying) offboarded.push({ instanceId: context.df.instanceId, input: context.df.getInput() });
  yield context.df.createTimer(context.df.currentUtcDateTime);
  return "done";
});

const DAY = 24 * 3600_000;
let harness: DurableHarness;

beforeEach(async () => {
  offboarded.length = 0;
  harness = await startDurableHarness();
});

afterEach(async () => {
  await harness.close();
});

function terminationInput(eventId: string, effectiveAtMs: number): HrTerminationInput {
  return {
    eventId,
    upn: "leaver@contoso.com",
    effectiveAt: new Date(effectiveAtMs).toISOString(),
    offboard: { request: { requestId: `hr-${eventId}` } } as unknown as OffboardInput,
    offboardInstanceId: `offboard-${eventId}`,
  };
}

async function status(instanceId: string): Promise<string | undefined> {
  await idle(harness.backend, "the durable backend");
  return harness.backend.inspect(instanceId)?.runtimeStatus;
}

it("waits in steps below the timer limit and offboards once the clock passes effectiveAt, 12 days on", async () => {
  const id = "hr-termination-a";
  await harness.client.startNew(HR_TERMINATION_ORCHESTRATION, {
    instanceId: id,
    input: terminationInput("T1", HARNESS_START_MS + 12 * DAY),
  });
  expect(await status(id)).toBe("Running");
  const timers =
    harness.backend.inspect(id)?.history.filter((event) => event.EventType === EventType.TimerCreated) ?? [];
  expect(timers).toHaveLength(1);
  const fireAt = Date.parse(String((timers[0] as { FireAt?: unknown }).FireAt));
  expect(fireAt - HARNESS_START_MS).toBeLessThanOrEqual(MAX_TIMER_STEP_MS);
  await harness.clock.advance(12 * DAY - 60_000);
  expect(await status(id)).toBe("Running");
  expect(offboarded).toEqual([]);
  await harness.clock.advance(60_000);
  expect(await status(id)).toBe("Completed");
  expect(offboarded).toEqual([{ instanceId: "offboard-T1", input: { request: { requestId: "hr-T1" } } }]);
  expect(harness.backend.inspect(id)?.output).toEqual({
    outcome: "offboarded",
    eventId: "T1",
    offboardInstanceId: "offboard-T1",
  });
});

it("ends without offboarding when a cancel arrives, and never offboards later", async () => {
  const id = "hr-termination-b";
  await harness.client.startNew(HR_TERMINATION_ORCHESTRATION, {
    instanceId: id,
    input: terminationInput("T2", HARNESS_START_MS + DAY),
  });
  expect(await status(id)).toBe("Running");
  const cancel: HrTerminationChange = { kind: "cancel", eventId: "R2", reason: "rescinded" };
  await harness.client.raiseEvent(id, HR_TERMINATION_EVENT, cancel);
  expect(await status(id)).toBe("Completed");
  await harness.clock.advance(2 * DAY);
  await idle(harness.backend, "the durable backend");
  expect(offboarded).toEqual([]);
  expect(harness.backend.inspect(id)?.output).toMatchObject({ outcome: "cancelled", byEventId: "R2" });
});

it("moves the offboarding to the date a later termination gives", async () => {
  const id = "hr-termination-c";
  await harness.client.startNew(HR_TERMINATION_ORCHESTRATION, {
    instanceId: id,
    input: terminationInput("T3", HARNESS_START_MS + DAY),
  });
  expect(await status(id)).toBe("Running");
  const later: HrTerminationChange = { kind: "reschedule", input: terminationInput("T4", HARNESS_START_MS + 3 * DAY) };
  await harness.client.raiseEvent(id, HR_TERMINATION_EVENT, later);
  await harness.clock.advance(2 * DAY);
  expect(await status(id)).toBe("Running");
  expect(offboarded).toEqual([]);
  await harness.clock.advance(DAY);
  expect(await status(id)).toBe("Completed");
  expect(offboarded.map((run) => run.instanceId)).toEqual(["offboard-T4"]);
});
