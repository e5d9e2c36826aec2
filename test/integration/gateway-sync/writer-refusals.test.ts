// Issue 5 acceptance: the writer refuses loudly rather than write forever: a gateway that keeps refusing its writes
// (412 every time) is reported, not rewritten in a loop. (Over 300 revocations it no longer refuses: issue 14,
// writer-capacity.test.ts.)
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { OPERATION_NAMES } from "../../../dev/emulators/arm";
import { revokedOn, startSyncSandbox } from "./sync-sandbox";
import type { SyncSandbox, WriterSnapshot } from "./sync-sandbox";

let s: SyncSandbox;

beforeAll(async () => {
  s = await startSyncSandbox();
});

afterAll(async () => {
  await s.stop();
});

const alerts = (): string[] => s.sandbox.logs.filter((line) => line.includes("ALERT"));

/** The outcomes one activity returned to the writer in its current generation. */
function outcomesOf(writer: WriterSnapshot, activity: string): string[] {
  const scheduled = new Map<number, string>();
  const result: string[] = [];
  for (const event of writer.history) {
    if (event["EventType"] === 4) scheduled.set(event["EventId"] as number, String(event["Name"]));
    if (event["EventType"] === 5 && scheduled.get(event["TaskScheduledId"] as number) === activity) {
      result.push((JSON.parse(String(event["Result"])) as { outcome: string }).outcome);
    }
  }
  return result;
}

describe("the gateway writer refusing loudly", () => {
  it("stops with an alert when every write is refused with 412, instead of writing in a loop", async () => {
    await s.settle();
    const [pending] = await s.revokeInLedger(1);
    const alertsBefore = alerts().length;
    const logsBefore = s.sandbox.logs.length;
    const rule = s.sandbox.arm.faults.add({
      operation: OPERATION_NAMES.put,
      status: 412,
      code: "PreconditionFailed",
      message: "The condition specified using HTTP conditional header(s) is not met.",
    });

    await s.reconcile();
    const writer = await s.settle();
    s.sandbox.arm.faults.remove(rule.id);

    expect(writer.runtimeStatus).toBe("Failed");
    expect(String(writer.output)).toContain("5 writes in a row were refused or did not stick");
    // The writer's five attempts, each refused.
    const applied = outcomesOf(writer, "applyGatewayState");
    expect(applied).toEqual(["conflict", "conflict", "conflict", "conflict", "conflict"]);
    // At-least-once delivery (test/support/sandbox.ts) may run an attempt again: that execution sends its PUT too
    // (refused as well) unless the writer's next attempt has claimed the gateway first (superseded, no PUT). So the
    // refusals are exactly the writer's five plus the re-delivered executions that wrote, as the logs tell.
    const logs = s.sandbox.logs.slice(logsBefore);
    const again = logs.filter((l) => l.includes(`running activity applyGatewayState for ${s.writerId}`)).length;
    const superseded = logs.filter((l) => l.includes("not written, superseded")).length;
    expect(s.putStatuses()["412"]).toBe(5 + again - superseded);
    expect(alerts().slice(alertsBefore).join("\n")).toContain("vgw-sandbox");

    // A later request starts a fresh writer, which applies the change once the gateway accepts writes again.
    await s.reconcile();
    expect((await s.settle()).runtimeStatus).toBe("Running");
    expect(revokedOn(await s.read())).toContain(pending);
  });
});
