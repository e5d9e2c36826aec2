jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { EventType } from "../../../dev/durable/protocol";
import { HOUR_MS, fixtureState, resetFixtureState } from "../../fixtures/durable-app";
import { startDurableHarness } from "../../support/durable/harness";
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

describe("local durable backend: one orchestration through every durable feature", () => {
  it("runs a sequence, fan-out, timer, event, sub-orchestration, retry and continueAsNew to the right output", async () => {
    const { client, backend, clock } = harness;
    const id = await client.startNew("MainFlow", { input: { name: "Ada", items: [1, 2, 3] } });
    await idle(backend, "the durable backend");

    const waitingOnTimer = await client.getStatus(id);
    expect(waitingOnTimer.runtimeStatus).toBe("Running");
    expect(waitingOnTimer.customStatus).toEqual({ stage: "timer" });

    await clock.advance(HOUR_MS - 1);
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).customStatus).toEqual({ stage: "timer" });

    await clock.advance(1);
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).customStatus).toEqual({ stage: "approval" });

    await client.raiseEvent(id, "Approval", { by: "grace" });
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).customStatus).toEqual({ stage: "retry" });
    expect(fixtureState.flakyCalls.get(id)).toBe(1);
    const afterFailure = backend.inspect(id)?.history ?? [];
    const failed = afterFailure.find((event) => event.EventType === EventType.TaskFailed);
    expect(failed?.Reason).toBe(`Activity function 'Flaky' failed: transient failure 1 for ${id}`);
    const retryTimer = afterFailure.filter((event) => event.EventType === EventType.TimerCreated).at(-1);
    expect(Date.parse(String(retryTimer?.FireAt)) - clock.now()).toBe(1000);

    await clock.advance(1000);
    await idle(backend, "the durable backend");
    expect(fixtureState.flakyCalls.get(id)).toBe(2);
    await clock.advance(2000);
    await idle(backend, "the durable backend");
    expect(fixtureState.flakyCalls.get(id)).toBe(3);

    const done = await client.getStatus(id);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual({
      greeting: "HELLO, ADA!",
      doubled: [2, 4, 6],
      approval: { by: "grace" },
      child: { sum: 12, parent: id },
      flaky: "ok after 3 attempts",
      farewell: "Hello, again",
      generation: 2,
    });
    expect(done.customStatus).toEqual({ stage: "second generation" });
    expect(done.input).toMatchObject({ generation: 2 });

    // The second generation has a fresh history of its own.
    const history = backend.inspect(id)?.history ?? [];
    expect(history.filter((event) => event.EventType === EventType.ExecutionStarted)).toHaveLength(1);
    expect(history.filter((event) => event.EventType === EventType.TaskScheduled).map((event) => event.Name)).toEqual([
      "Greet",
    ]);
  });
});
