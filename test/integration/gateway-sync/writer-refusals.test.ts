// Issue 5 acceptance: the writer refuses loudly rather than drop anything or write forever. The 300-revocation cap
// (counting entries added by hand) stops it with an alert naming the cause, the gateway untouched and the API showing
// the error; a gateway that keeps refusing its writes (412 every time) is reported, not rewritten in a loop.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { OPERATION_NAMES } from "../../../dev/emulators/arm";
import { revokedOn, startSyncSandbox, thumbprint } from "./sync-sandbox";
import type { SyncSandbox, WriterSnapshot } from "./sync-sandbox";

interface GatewayView {
  readonly inSync: boolean;
  readonly pendingChanges: number;
  readonly revokedCount: number;
  readonly revokedCapacity: number;
  readonly lastOutcome: string | null;
  readonly error?: string;
}

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

  it("refuses to exceed 300 revocations: nothing written, nothing dropped, an alert, the API shows why", async () => {
    await s.settle();
    const onGatewayBefore = revokedOn(await s.read()).length;
    // An operator's own entries count against the gateway's 300 like the app's.
    const handAdded = Array.from({ length: 6 }, (_, i) => ({ name: `hand-${i}`, thumbprint: thumbprint() }));
    await s.handEdit((revoked) => [...revoked, ...handAdded]);
    const gatewayBefore = await s.read();
    const writesBefore = s.writes();
    const alertsBefore = alerts().length;
    const room = 300 - onGatewayBefore - handAdded.length;
    const thumbprints = await s.revokeInLedger(room + 1);

    await s.reconcile();
    const writer = await s.settle();

    expect(writer.runtimeStatus).toBe("Failed");
    expect(String(writer.output)).toContain("would need 301 revoked certificates but holds at most 300");
    expect(String(writer.output)).toContain("nothing was dropped");
    expect(s.writes()).toBe(writesBefore);
    const gatewayAfter = await s.read();
    expect(gatewayAfter.state).toEqual(gatewayBefore.state);
    expect(gatewayAfter.etag).toBe(gatewayBefore.etag);
    const raised = alerts().slice(alertsBefore).join("\n");
    expect(raised).toContain("ALERT critical");
    expect(raised).toContain("holds at most 300");

    const [view] = (await s.sandbox.api("GET", "/api/v1/gateways")).body as GatewayView[];
    expect(view).toMatchObject({
      inSync: false,
      pendingChanges: room + 1,
      revokedCount: onGatewayBefore + handAdded.length,
      revokedCapacity: 300,
      lastOutcome: "capacity",
    });
    expect(view?.error).toContain("holds at most 300");

    // The operator frees room by removing two of their own entries: the next request applies every revocation.
    await s.handEdit((revoked) => revoked.filter((r) => r.name !== "hand-0" && r.name !== "hand-1"));
    await s.reconcile();
    expect((await s.settle()).runtimeStatus).toBe("Running");
    const applied = await s.read();
    expect(revokedOn(applied)).toEqual(expect.arrayContaining(thumbprints));
    expect(applied.state.revoked).toHaveLength(299);
    expect(applied.state.revoked).toEqual(expect.arrayContaining(handAdded.slice(2)));
  });
});
