// Issue 5 acceptance: the writer survives a busy gateway (409 AnotherOperationInProgress, as an answer and as a failed
// long-running operation) and throttling (429 with Retry-After) by waiting on durable timers, and never loses a hand
// edit made between its read and its write (If-Match → 412 → re-read → write again).
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { within } from "../../support/wait";
import { revokedOn, startSyncSandbox, thumbprint } from "./sync-sandbox";
import type { SyncSandbox, WriterSnapshot } from "./sync-sandbox";

const PUT = "virtualNetworkGateways.put";
let s: SyncSandbox;

beforeAll(async () => {
  s = await startSyncSandbox();
});

afterAll(async () => {
  await s.stop();
});

beforeEach(async () => {
  await s.settle();
  s.sandbox.arm.faults.clear();
});

/** The writer's history events as the test began (by content): steps() skips them, whatever the clocks say. */
let eventsBefore = new Set<string>();

beforeEach(() => {
  eventsBefore = new Set((s.writer()?.history ?? []).map((event) => JSON.stringify(event)));
});

interface Step {
  readonly outcome: string;
  /** The wait the writer scheduled right after this outcome, if any. */
  waitMs?: number;
}

/** The writer's pass outcomes since the test started (write, verify, sessions), each with the durable wait after it. */
function steps(writer: WriterSnapshot | undefined): Step[] {
  if (writer === undefined) return [];
  const scheduled = new Map<number, string>();
  const result: Step[] = [];
  for (const event of writer.history) {
    const at = Date.parse(String(event["Timestamp"]));
    if (event["EventType"] === 4 && typeof event["EventId"] === "number" && typeof event["Name"] === "string") {
      scheduled.set(event["EventId"], event["Name"]);
    }
    if (eventsBefore.has(JSON.stringify(event))) continue;
    const activity = event["EventType"] === 5 ? scheduled.get(event["TaskScheduledId"] as number) : undefined;
    if (
      activity === "applyGatewayState" ||
      activity === "awaitGatewayWrite" ||
      activity === "findRevokedSessions" ||
      activity === "disconnectRevokedSessions"
    ) {
      const { outcome } = JSON.parse(String(event["Result"])) as { outcome: string };
      // "started" and "running" are steps of one write, not outcomes the writer decides on.
      if (outcome !== "started" && outcome !== "running") result.push({ outcome });
    }
    const last = result[result.length - 1];
    if (event["EventType"] === 10 && last !== undefined && last.waitMs === undefined) {
      last.waitMs = Date.parse(String(event["FireAt"])) - at;
    }
  }
  return result;
}

const outcomes = (writer: WriterSnapshot): string[] => steps(writer).map((step) => step.outcome);

/**
 * The writes audited since `before` (audit entries so far). With at-least-once delivery the write may have been sent
 * by a re-delivered execution whose result the writer never saw (it then finds the gateway in sync): whichever
 * execution wrote, the write is audited once.
 */
async function auditedSince(before: number): Promise<Record<string, unknown>[]> {
  return (await s.audit("gateway.written")).slice(before).map((entry) => ({ ...entry.details }));
}

describe("the gateway writer under a busy or throttling gateway", () => {
  it("waits out two 409 AnotherOperationInProgress answers and then applies everything in one write", async () => {
    const before = s.appliedWrites();
    const auditBefore = (await s.audit("gateway.written")).length;
    const refusedBefore = s.putStatuses()["409"] ?? 0;
    s.sandbox.arm.faults.add({
      operation: PUT,
      status: 409,
      code: "AnotherOperationInProgress",
      message: "Another operation on this or dependent resource is in progress.",
      count: 2,
    });
    const thumbprints = await s.revokeInLedger(5);

    await s.reconcile();
    const writer = await s.settle();

    expect(writer.runtimeStatus).not.toBe("Failed");
    expect((s.putStatuses()["409"] ?? 0) - refusedBefore).toBe(2);
    expect(s.appliedWrites() - before).toBe(1);
    expect(revokedOn(await s.read())).toEqual(expect.arrayContaining(thumbprints));
    const busy = steps(writer).filter((step) => step.outcome === "busy");
    // Each refusal the writer saw was waited out on a durable timer, the second longer (exponential backoff from
    // 50 ms). A re-delivered execution may have met the second refusal instead (its result dropped).
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expect(busy.map((step) => step.waitMs)).toEqual([50, 100].slice(0, busy.length));
    const audited = await auditedSince(auditBefore);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ added: 5 });
  });

  it("honours 429 with Retry-After beyond the SDK's own retries, then applies everything", async () => {
    const before = s.appliedWrites();
    const auditBefore = (await s.audit("gateway.written")).length;
    const throttledBefore = s.putStatuses()["429"] ?? 0;
    // The SDK retries 429 three times by itself; the fourth surfaces to the writer, which waits on a durable timer.
    s.sandbox.arm.faults.add({ operation: PUT, status: 429, code: "TooManyRequests", retryAfterSeconds: 1, count: 4 });
    const thumbprints = await s.revokeInLedger(3);

    await s.reconcile();
    const writer = await s.settle();

    expect(writer.runtimeStatus).not.toBe("Failed");
    expect((s.putStatuses()["429"] ?? 0) - throttledBefore).toBe(4);
    expect(s.appliedWrites() - before).toBe(1);
    expect(revokedOn(await s.read())).toEqual(expect.arrayContaining(thumbprints));
    // The writer's own wait honoured Retry-After (1 s), not its 50 ms first backoff.
    const throttled = steps(writer).filter((step) => step.outcome === "throttled");
    expect(throttled).toHaveLength(1);
    expect(throttled[0]?.waitMs).toBe(1000);
    const audited = await auditedSince(auditBefore);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ added: 3 });
  });

  it("treats a PUT that ends Failed with AnotherOperationInProgress as busy, and leaves the gateway Succeeded", async () => {
    s.sandbox.arm.controls.failNextOperation(s.gatewayId, {
      code: "AnotherOperationInProgress",
      message: "Another operation on this or dependent resource is in progress.",
    });
    const thumbprints = await s.revokeInLedger(2, { upn: "mallory@contoso.com" });
    const mallory = s.sandbox.arm.controls.connectSession(s.gatewayId, { vpnUserName: "mallory@contoso.com" });
    const trent = s.sandbox.arm.controls.connectSession(s.gatewayId, { vpnUserName: "trent@contoso.com" });

    await s.reconcile();
    const writer = await s.settle();

    expect(writer.runtimeStatus).not.toBe("Failed");
    expect(outcomes(writer)).toEqual(expect.arrayContaining(["busy", "written"]));
    const after = await s.read();
    expect(revokedOn(after)).toEqual(expect.arrayContaining(thumbprints));
    // The failed operation left the gateway Failed with the new object: the writer must not take that as applied.
    expect(after.provisioningState).toBe("Succeeded");
    const left = s.sandbox.arm.controls.sessions(s.gatewayId).map((session) => session["vpnConnectionId"]);
    expect(left).not.toContain(mallory);
    expect(left).toContain(trent);
  });
});

describe("the gateway writer and a concurrent hand edit", () => {
  it("keeps an entry added by hand between its read and its PUT, and still applies its own", async () => {
    const handAdded = thumbprint();
    const conflictsBefore = s.putStatuses()["412"] ?? 0;
    const writesBefore = s.appliedWrites();
    const auditBefore = (await s.audit("gateway.written")).length;
    // Hold the writer's PUT at a gate: the writer has read the gateway, and the operator edits it before the PUT.
    const held = s.sandbox.arm.controls.holdNext(s.gatewayId, "put");
    const thumbprints = await s.revokeInLedger(4);

    await s.reconcile();
    await within(held.reached, { message: "the writer's PUT" });
    await s.handEdit((revoked) => [...revoked, { name: "operator-edit", thumbprint: handAdded }]);
    held.release();

    const writer = await s.settle();
    expect(writer.runtimeStatus).not.toBe("Failed");
    // The held PUT is refused. A re-delivered execution and the writer's next pass may then read the same ETag and
    // race: one lands, the other is refused too (the emulator enforces If-Match), so one or two 412s.
    const conflicts = (s.putStatuses()["412"] ?? 0) - conflictsBefore;
    expect(conflicts).toBeGreaterThanOrEqual(1);
    expect(conflicts).toBeLessThanOrEqual(2);
    expect(outcomes(writer)).toContain("conflict");
    // One write by the writer after the hand edit (the other successful PUT): audited, whichever execution sent it.
    expect(s.appliedWrites() - writesBefore).toBe(2);
    const audited = await auditedSince(auditBefore);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ added: 4 });
    const after = await s.read();
    expect(after.state.revoked).toContainEqual({ name: "operator-edit", thumbprint: handAdded });
    expect(revokedOn(after)).toEqual(expect.arrayContaining(thumbprints));
  });
});
