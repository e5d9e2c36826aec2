jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

// The local durable backend behaves as Azure does where the difference would hide a bug. Each test names the source
// (Azure/durabletask = DTFx, Azure/azure-functions-durable-extension = the extension, Azure/azure-functions-durable-js).
import { AFTER_EFFECT_FAILURE_REASON } from "../../../dev/durable/after-effect-failures";
import { EventType } from "../../../dev/durable/protocol";
import { HOUR_MS, fixtureState, resetFixtureState } from "../../fixtures/durable-app";
import { startDurableHarness } from "../../support/durable/harness";
import type { DurableHarness } from "../../support/durable/harness";
import { idle } from "../../support/wait";

let harness: DurableHarness;
const API = "/runtime/webhooks/durabletask";

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

describe("local durable backend as on Azure: instance lifecycle", () => {
  it("reports Pending until the first episode runs, and answers 500 to a start over it", async () => {
    // DurableTask.AzureStorage writes the instance row as Pending at creation; the first episode makes it Running.
    // A start over it throws OrchestrationAlreadyExistsException (AzureStorageOrchestrationService), which the
    // extension's HttpApiHandler turns into its catch-all 500.
    const { client, backend, invoker } = harness;
    const release = invoker.hold("Waiter");
    const id = "pending-1";
    try {
      await client.startNew("Waiter", { instanceId: id });
      expect((await client.getStatus(id)).runtimeStatus).toBe("Pending");
      const again = await fetch(`${harness.baseUrl}${API}/orchestrators/Waiter/${id}`, { method: "POST" });
      expect(again.status).toBe(500);
    } finally {
      release();
    }
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    await expect(client.startNew("Waiter", { instanceId: id })).rejects.toThrow(/500/);
  });

  it("keeps an instance running until a timer it did not cancel fires", async () => {
    // DTFx TaskOrchestrationExecutor completes an orchestration only `if (!this.context.HasOpenTasks)`; an uncancelled
    // durable timer stays an open task until it fires.
    const { client, backend, clock } = harness;
    const id = await run("ForgetfulRacer");
    await client.raiseEvent(id, "Go", 1);
    await idle(backend, "the durable backend");
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Running", output: null });
    await clock.advance(HOUR_MS - 1);
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    await clock.advance(1);
    await idle(backend, "the durable backend");
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: "event" });
  });

  it("shows a null custom status once a generation that sets none has run", async () => {
    // DTFx TaskOrchestrationDispatcher: each episode stores `runtimeState.Status = result?.CustomStatus`, and a new
    // generation's context starts without one.
    const { client } = harness;
    const id = await run("StatusOnce");
    const status = await client.getStatus(id);
    expect(status).toMatchObject({ runtimeStatus: "Running", input: 2 });
    expect(status.customStatus).toBeNull();
  });

  it("restarts an instance through restartPostUri, under a new id unless told to keep it", async () => {
    // The extension's HttpApiHandler.HandleRestartInstanceRequestAsync and DurableClient.RestartAsync: the same
    // orchestrator and input, a new id by default (restartWithNewInstanceId defaults to true), 400 for an unknown id,
    // and StartNewAsync's OrchestrationAlreadyExistsException (500) over a running one kept under its id.
    const { client, backend, baseUrl } = harness;
    const id = "restart-1";
    const started = await fetch(`${baseUrl}${API}/orchestrators/Waiter/${id}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 7 }),
    });
    const restartUri = ((await started.json()) as Record<string, string>).restartPostUri ?? "";
    await idle(backend, "the durable backend");
    const fresh = await fetch(restartUri, { method: "POST" });
    expect(fresh.status).toBe(202);
    const freshId = ((await fresh.json()) as { id: string }).id;
    expect(freshId).not.toBe(id);
    await idle(backend, "the durable backend");
    expect(await client.getStatus(freshId)).toMatchObject({
      name: "Waiter",
      runtimeStatus: "Running",
      input: { n: 7 },
    });

    const sameUri = `${restartUri}&restartWithNewInstanceId=false`;
    expect((await fetch(sameUri, { method: "POST" })).status).toBe(500);
    await client.terminate(id, "make room");
    await idle(backend, "the durable backend");
    const same = await fetch(sameUri, { method: "POST" });
    expect(same.status).toBe(202);
    expect(((await same.json()) as { id: string }).id).toBe(id);
    await idle(backend, "the durable backend");
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Running", input: { n: 7 } });

    const unknown = await fetch(restartUri.replace(`/${id}/`, "/nobody/"), { method: "POST" });
    expect(unknown.status).toBe(400);
  });

  it("names a sub-orchestration started without an id after the parent's execution id and sequence id", async () => {
    // DTFx TaskOrchestrationContext.CreateSubOrchestrationInstanceCore: `OrchestrationInstance.ExecutionId + ":" + id`.
    const { client, backend } = harness;
    const id = await run("ParentOfAnonymous");
    expect((await client.getStatus(id)).output).toEqual({ sum: 3, parent: id });
    const started = backend.inspect(id)?.history.find((event) => event.EventType === EventType.ExecutionStarted);
    const executionId = (started?.OrchestrationInstance as { ExecutionId: string } | undefined)?.ExecutionId;
    expect(executionId).toMatch(/^[0-9a-f]{32}$/);
    const created = backend
      .inspect(id)
      ?.history.find((event) => event.EventType === EventType.SubOrchestrationInstanceCreated);
    expect(created?.InstanceId).toBe(`${String(executionId)}:0`);
    expect(backend.inspect(`${String(executionId)}:0`)?.runtimeStatus).toBe("Completed");
  });

  it("does not call a renamed waitForExternalEvent nondeterministic: waits leave no history", async () => {
    // DTFx TaskOrchestrationContext checks replayed decisions only against the history events of scheduled tasks,
    // timers and sub-orchestrations; the extension's waits for external events add no history event to compare.
    const { client, backend } = harness;
    const id = await run("Renamer");
    fixtureState.waitName = "Proceed";
    await client.raiseEvent(id, "Proceed", "renamed");
    await idle(backend, "the durable backend");
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: "renamed" });
    expect(harness.logs.some((line) => line.includes("Nondeterministic"))).toBe(false);
  });
});

describe("local durable backend as on Azure: at-least-once delivery", () => {
  beforeEach(async () => {
    await harness.close();
    harness = await startDurableHarness({ atLeastOnce: { seed: 1, probability: 1 } });
  });

  it("runs an activity again and drops its second completion", async () => {
    // DurableTask.AzureStorage delivers work items at least once; DTFx TaskOrchestrationContext ignores a completion
    // for a task it no longer waits for (LogDuplicateEvent).
    const { client } = harness;
    fixtureState.flakyFailuresBeforeSuccess = 0;
    const id = await run("CountedOnce");
    expect(fixtureState.flakyCalls.get(id)).toBe(2);
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: "ok after 1 attempts" });
    const completions = (harness.backend.inspect(id)?.history ?? []).filter(
      (event) => event.EventType === EventType.TaskCompleted,
    );
    expect(completions).toHaveLength(1);
    expect(harness.logs.some((line) => line.includes("dropped a duplicate completion of task 0"))).toBe(true);
  });

  it("delivers a raised event twice to the instance", async () => {
    // DurableTask.AzureStorage control-queue messages are delivered at least once: the same EventRaised can arrive
    // twice, and the orchestrator sees two events.
    const { client, backend } = harness;
    const id = await run("TwoGoes");
    await client.raiseEvent(id, "Go", "once");
    await idle(backend, "the durable backend");
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: ["once", "once"] });
  });
});

describe("local durable backend in chaos runs: activities that fail after their side effect", () => {
  beforeEach(async () => {
    await harness.close();
    harness = await startDurableHarness({ afterEffectFailures: { seed: 3, probability: 1 } });
  });

  it("runs the activity to completion, then reports it failed, so the retry policy runs it again", async () => {
    // A worker lost after the activity's write went through and before its completion was recorded: the side
    // effect stays and the orchestration sees a failure, which its retry policy answers by running the activity again.
    const { client, backend, clock } = harness;
    fixtureState.flakyFailuresBeforeSuccess = 0;
    const id = await run("RetriedOnce");
    expect(fixtureState.flakyCalls.get(id)).toBe(1);
    const failed = (backend.inspect(id)?.history ?? []).filter((event) => event.EventType === EventType.TaskFailed);
    expect(failed).toHaveLength(1);
    expect(JSON.stringify(failed[0])).toContain(AFTER_EFFECT_FAILURE_REASON);
    expect(backend.afterEffectFailuresInjected()).toBe(1);

    backend.setAfterEffectFailures(undefined);
    await clock.advance(1000);
    await idle(backend, "the durable backend");
    expect(fixtureState.flakyCalls.get(id)).toBe(2);
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: "ok after 2 attempts" });
  });

  it("fails an activity without a retry policy with the injected reason, its side effect made", async () => {
    const { client } = harness;
    fixtureState.flakyFailuresBeforeSuccess = 0;
    const id = await run("CountedOnce");
    expect(fixtureState.flakyCalls.get(id)).toBe(1);
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(JSON.stringify(status.output)).toContain("Injected after-effect failure");
  });
});
