// startOnce through durable-functions' real DurableClient against the local durable backend (over HTTP, as against
// the extension with overridableExistingInstanceStates = NonRunningStates): a repeated request starts an instance
// that failed or was terminated again under the same id, and answers "existing" for one that is pending, running or
// completed, which then runs no second time.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import { startOnce } from "../../../src/clients/durable-start";
import { startDurableHarness } from "../../support/durable/harness";
import type { DurableHarness } from "../../support/durable/harness";
import { idle } from "../../support/wait";

/** Runs of the work activity, and whether it fails, per instance id. */
const runs = new Map<string, number>();
const failing = new Set<string>();

df.app.activity("StartOnceWork", {
  handler: (instanceId: unknown) => {
    const id = String(instanceId);
    runs.set(id, (runs.get(id) ?? 0) + 1);
    if (failing.has(id)) throw new Error(`work of ${id} failed`);
    return runs.get(id) ?? 0;
  },
});

/** Does the work once; with `wait`, first waits for the "go" event (so it stays Running). */
df.app.orchestration("StartOnceFlow", function* (context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const input = context.df.getInput<{ wait?: boolean }>();
  if (input.wait === true) yield context.df.waitForExternalEvent("go");
  const run: unknown = yield context.df.callActivity("StartOnceWork", context.df.instanceId);
  return { run };
});

let harness: DurableHarness;

beforeEach(async () => {
  runs.clear();
  failing.clear();
  harness = await startDurableHarness();
});

afterEach(async () => {
  await harness.close();
});

async function start(instanceId: string, input: unknown = {}): Promise<string> {
  const outcome = await startOnce(harness.client, "StartOnceFlow", instanceId, input);
  await idle(harness.backend, "the durable backend");
  return outcome;
}

function statusOf(instanceId: string): string | undefined {
  return harness.backend.inspect(instanceId)?.runtimeStatus;
}

describe("startOnce", () => {
  it("starts an absent instance, then answers a repeat of a completed one as existing without running it again", async () => {
    expect(await start("done-1")).toBe("started");
    expect(statusOf("done-1")).toBe("Completed");
    expect(await start("done-1")).toBe("existing");
    expect(runs.get("done-1")).toBe(1);
    expect(harness.backend.inspect("done-1")?.output).toEqual({ run: 1 });
  });

  it("answers a repeat of a running instance as existing, and the instance runs once", async () => {
    expect(await start("running-1", { wait: true })).toBe("started");
    expect(statusOf("running-1")).toBe("Running");
    expect(await start("running-1", { wait: true })).toBe("existing");
    await harness.client.raiseEvent("running-1", "go", null);
    await idle(harness.backend, "the durable backend");
    expect(statusOf("running-1")).toBe("Completed");
    expect(runs.get("running-1")).toBe(1);
  });

  it("starts a failed instance again under the same id, which then completes", async () => {
    failing.add("failed-1");
    expect(await start("failed-1")).toBe("started");
    expect(statusOf("failed-1")).toBe("Failed");
    failing.delete("failed-1");
    expect(await start("failed-1")).toBe("restarted");
    expect(statusOf("failed-1")).toBe("Completed");
    expect(harness.backend.inspect("failed-1")?.output).toEqual({ run: 2 });
    // Completed now: a further repeat runs nothing.
    expect(await start("failed-1")).toBe("existing");
    expect(runs.get("failed-1")).toBe(2);
  });

  it("starts a terminated instance again under the same id", async () => {
    expect(await start("terminated-1", { wait: true })).toBe("started");
    await harness.client.terminate("terminated-1", "operator");
    await idle(harness.backend, "the durable backend");
    expect(statusOf("terminated-1")).toBe("Terminated");
    expect(runs.get("terminated-1")).toBeUndefined();
    expect(await start("terminated-1")).toBe("restarted");
    expect(statusOf("terminated-1")).toBe("Completed");
    expect(runs.get("terminated-1")).toBe(1);
  });

  it("restarts a failed instance once when two repeats arrive together", async () => {
    failing.add("failed-2");
    await start("failed-2");
    expect(statusOf("failed-2")).toBe("Failed");
    failing.delete("failed-2");
    const outcomes = await Promise.all([
      startOnce(harness.client, "StartOnceFlow", "failed-2", { wait: true }),
      startOnce(harness.client, "StartOnceFlow", "failed-2", { wait: true }),
    ]);
    await idle(harness.backend, "the durable backend");
    // One start replaces the failed instance; the other finds it pending (a 500 from the backend, as from the
    // extension) and points at it.
    expect([...outcomes].sort()).toEqual(["existing", "restarted"]);
    expect(statusOf("failed-2")).toBe("Running");
    await harness.client.raiseEvent("failed-2", "go", null);
    await idle(harness.backend, "the durable backend");
    expect(statusOf("failed-2")).toBe("Completed");
    // The failed run, then exactly one more.
    expect(runs.get("failed-2")).toBe(2);
  });
});
