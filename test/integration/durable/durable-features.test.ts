jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { EventType } from "../../../dev/durable/protocol";
import { DAY_MS, HOUR_MS, fixtureState, resetFixtureState } from "../../fixtures/durable-app";
import { HARNESS_START_MS, startDurableHarness } from "../../support/durable/harness";
import type { DurableHarness } from "../../support/durable/harness";
import { idle } from "../../support/wait";

let harness: DurableHarness;

beforeEach(async () => {
  resetFixtureState();
  harness = await startDurableHarness();
});

afterEach(async () => {
  await harness.close();
});

async function run(name: string, input?: unknown): Promise<string> {
  const id = await harness.client.startNew(name, input === undefined ? undefined : { input });
  await idle(harness.backend, "the durable backend");
  return id;
}

describe("local durable backend: timers", () => {
  it("fires a ten-day timer in pieces on the clock and not a moment early", async () => {
    const { client, backend, clock } = harness;
    const id = await run("LongSleep");
    await clock.advance(10 * DAY_MS - 1);
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    await clock.advance(1);
    await idle(backend, "the durable backend");
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe(new Date(HARNESS_START_MS + 10 * DAY_MS).toISOString());
    const fireTimes = (backend.inspect(id)?.history ?? [])
      .filter((event) => event.EventType === EventType.TimerCreated)
      .map((event) => Date.parse(String(event.FireAt)) - HARNESS_START_MS);
    expect(fireTimes).toEqual([3 * DAY_MS, 6 * DAY_MS, 10 * DAY_MS]);
  });

  it("cancels the losing timer of Task.any so nothing stays scheduled", async () => {
    const { client, backend, clock } = harness;
    const id = await run("Racer");
    expect(clock.pending()).toBe(1);
    await client.raiseEvent(id, "Go", "now");
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).output).toBe("event");
    expect(clock.pending()).toBe(0);
  });

  it("cancels pending durable timers and refuses requests once stopped", async () => {
    const { backend, clock, baseUrl } = harness;
    await run("Racer");
    expect(clock.pending()).toBe(1);
    await backend.stop();
    expect(clock.pending()).toBe(0);
    expect((await fetch(`${baseUrl}/runtime/webhooks/durabletask/instances`)).status).toBe(503);
  });

  it("lets the timer win Task.any when no event comes", async () => {
    const { client, backend, clock } = harness;
    const id = await run("Racer");
    await clock.advance(HOUR_MS);
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).output).toBe("timeout");
  });
});

describe("local durable backend: failures", () => {
  it("hands an activity's error to the orchestrator as the extension words it", async () => {
    const id = await run("Catcher");
    expect((await harness.client.getStatus(id)).output).toMatch(
      /^Activity function 'Boom' failed: boom \n Error: boom/,
    );
  });

  it("never ends an instance whose retry timeout passed before its attempts ran out, as on Azure", async () => {
    // Azure/durabletask RetryInterceptor.cs: once the retry timeout has passed, ComputeNextDelay is zero, the
    // interceptor schedules no timer and throws; durable-functions' RetryableTask waits for that timer for ever
    // (Azure/azure-functions-durable-js#629: the error never reaches the orchestrator's catch).
    const { client, backend, clock, invoker } = harness;
    const id = await run("RetryTimeout");
    expect(invoker.calls.get("Boom")).toBe(1);
    await clock.advance(1000);
    await idle(backend, "the durable backend");
    expect(invoker.calls.get("Boom")).toBe(2);
    await clock.advance(1000);
    await idle(backend, "the durable backend");
    expect(invoker.calls.get("Boom")).toBe(3);
    await clock.advance(DAY_MS);
    await idle(backend, "the durable backend");
    expect(invoker.calls.get("Boom")).toBe(3);
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Running", output: null });
    expect(harness.logs.some((line) => line.includes("durable-js#629"))).toBe(true);
  });

  it("gives up after maxNumberOfAttempts, waiting the backoff delays between attempts and none after the last", async () => {
    // Azure/durabletask RetryInterceptor.cs: after the last attempt only a "dummy timer for back-compat" due at once,
    // so the orchestrator gets the error as soon as the last attempt fails (Failed at 3 s here, not 7 s).
    const { client, backend, clock } = harness;
    fixtureState.flakyFailuresBeforeSuccess = 10;
    const id = await client.startNew("MainFlow", { input: { name: "Bo", items: [1] } });
    await idle(backend, "the durable backend");
    await clock.advance(HOUR_MS);
    await idle(backend, "the durable backend");
    await client.raiseEvent(id, "Approval", true);
    await idle(backend, "the durable backend");
    await clock.advance(1000);
    await idle(backend, "the durable backend");
    await clock.advance(1999);
    await idle(backend, "the durable backend");
    expect(fixtureState.flakyCalls.get(id)).toBe(2);
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    await clock.advance(1);
    await idle(backend, "the durable backend");
    expect(fixtureState.flakyCalls.get(id)).toBe(3);
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.output).toMatch(
      /^Orchestrator function 'MainFlow' failed: Activity function 'Flaky' failed: transient failure 3/,
    );
    const timers = (backend.inspect(id)?.history ?? []).filter((event) => event.EventType === EventType.TimerCreated);
    const lastTimer = timers.at(-1);
    expect(Date.parse(String(lastTimer?.FireAt))).toBe(Date.parse(lastTimer?.Timestamp ?? ""));
  });

  it("fails a sub-orchestration into its parent, which can catch it", async () => {
    const id = await run("ParentOfFailing");
    expect((await harness.client.getStatus(id)).output).toMatch(
      /^Orchestrator function 'FailingChild' failed: child broke/,
    );
  });

  it("fails a call to an activity that is not registered", async () => {
    const id = await run("CallsMissing");
    expect((await harness.client.getStatus(id)).output).toMatch(
      /^The function 'NoSuchActivity' doesn't exist, is disabled, or is not an activity function\./,
    );
  });

  it("rejects durable HTTP calls clearly", async () => {
    const id = await run("HttpCaller");
    const status = await harness.client.getStatus(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.output).toBe(
      "Orchestrator function 'HttpCaller' uses callHttp (durable HTTP), which the local durable backend does not support",
    );
  });
});

describe("local durable backend: sequence numbering", () => {
  it("numbers retries and the calls after them as the library does, with completions arriving together", async () => {
    const { client, backend, clock } = harness;
    fixtureState.flakyFailuresBeforeSuccess = 1;
    const id = await run("MixedFanOut");
    await clock.advance(500);
    await idle(backend, "the durable backend");
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual(["ok after 2 attempts", "ok after 2 attempts", 42, "Hello, after retries"]);
    const scheduled = (backend.inspect(id)?.history ?? [])
      .filter((event) => event.EventType === EventType.TaskScheduled)
      .map((event) => [event.EventId, event.Name]);
    // 0-2 the fan-out, 3-4 the retry timers, 5-6 the second attempts, 7 the call after them.
    expect(scheduled).toEqual([
      [0, "Flaky"],
      [1, "Flaky"],
      [2, "Double"],
      [5, "Flaky"],
      [6, "Flaky"],
      [7, "Greet"],
    ]);
  });
});

describe("local durable backend: continueAsNew", () => {
  it("keeps an event raised after the episode that continues as new began, for the next execution", async () => {
    const { client, backend } = harness;
    const id = await run("Accumulator", 0);
    for (let i = 0; i < 3; i++) {
      await client.raiseEvent(id, "Add", 1);
      await idle(backend, "the durable backend");
    }
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: 3 });
  });

  it("loses the events delivered with the one that continues as new, as the extension does without preserving them", async () => {
    const { client, backend } = harness;
    const id = await run("Accumulator", 0);
    // Queued while suspended, the three events reach the orchestrator in one episode, as the Azure Storage backend
    // hands an instance all its queued messages at once: the first is consumed, continueAsNew drops the other two.
    await client.suspend(id, "queue the events");
    await idle(backend, "the durable backend");
    await Promise.all([1, 2, 3].map(() => client.raiseEvent(id, "Add", 1)));
    await client.resume(id, "deliver them together");
    await idle(backend, "the durable backend");
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Running");
    expect(status.input).toBe(1);
  });
});

describe("local durable backend: nondeterminism", () => {
  it("fails an instance whose replay schedules something other than its history records", async () => {
    const { client, backend } = harness;
    const id = await run("Fickle");
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    fixtureState.fickleMode = "shout";
    await client.raiseEvent(id, "Go", 1);
    await idle(backend, "the durable backend");
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.output).toBe(
      `Nondeterministic orchestrator 'Fickle' (instance ${id}): history has TaskScheduled 'Greet' at sequence 0 ` +
        "but the replay scheduled CallActivity 'Shout'",
    );
    expect(harness.logs.some((line) => line.includes("Nondeterministic orchestrator 'Fickle'"))).toBe(true);
  });

  it("accepts a deterministic replay of the same instance", async () => {
    const { client, backend } = harness;
    const id = await run("Fickle");
    await client.raiseEvent(id, "Go", 1);
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).output).toBe("done");
  });
});
