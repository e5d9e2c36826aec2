// Issue 8: a busy gateway refuses the writer as Azure mostly does (the PUT accepted, then its operation Failed with
// AnotherOperationInProgress, Azure/bicep#5132) or with a synchronous 409. In both forms the writer waits and the
// revocation lands. An emulator gate holds the writer's PUT (after its read) while an operator's action starts, so
// the PUT meets a busy gateway that does not show Updating; the operator's action runs until the test ends it (the
// ARM emulator's clock jumps past it) once the PUT has been answered, so no timing decides what the PUT meets.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { OPERATION_NAMES } from "../../../dev/emulators/arm";
import type { ConflictForm } from "../../../dev/emulators/arm";
import { GatewayClient } from "../../../src/clients/gateway";
import { getConfig } from "../../../src/config";
import { SteerableClock } from "../../support/steerable-clock";
import { waitFor, within } from "../../support/wait";
import { revokedOn, startSyncSandbox } from "./sync-sandbox";
import type { SyncSandbox, WriterSnapshot } from "./sync-sandbox";

const clock = new SteerableClock();
let s: SyncSandbox;
let operator: GatewayClient;

beforeAll(async () => {
  s = await startSyncSandbox({ armClock: clock });
  operator = new GatewayClient(getConfig(), { pollIntervalMs: 10 });
});

afterAll(async () => {
  await s.stop();
});

/** Outcomes of one activity in the writer's current generation. */
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

async function untilOccupiedBy(name: string): Promise<void> {
  await waitFor(() => s.sandbox.arm.controls.runningOperation(s.gatewayId)?.name === name, {
    timeoutMs: 10_000,
    message: `the gateway to be occupied by ${name}`,
  });
}

describe.each<ConflictForm>(["failedOperation", "synchronous"])("a busy gateway refusing the writer: %s", (form) => {
  it("is waited out, and the revocation lands", async () => {
    await s.settle();
    const controls = s.sandbox.arm.controls;
    controls.setConflictForm(form);
    controls.setOperationDurationMs(300);
    const statusesBefore = { ...s.putStatuses() };
    const [revocation] = await s.revokeInLedger(1, { upn: `busy-${form}@contoso.com` });

    const writerPut = controls.holdNext(s.gatewayId, "put");
    await s.reconcile();
    await within(writerPut.reached, { message: "the writer's PUT of the revocation" });
    // The writer has read a Succeeded gateway; an operator's session lookup now occupies it, then the PUT goes on.
    // Ten minutes: jumping past it must not age the refusal (ended at the PUT) past the emulator's one-hour retention
    // of ended operations, or the writer's poll of it would find nothing.
    controls.setOperationDurationMs(10 * 60_000);
    const lookup = operator.sessions(s.ref);
    await untilOccupiedBy(OPERATION_NAMES.getVpnclientConnectionHealth);
    controls.setOperationDurationMs(300);
    const puts = (): number => s.sandbox.arm.stats.operation(OPERATION_NAMES.put).count;
    const putsBefore = puts();
    writerPut.release();
    await waitFor(() => puts() > putsBefore, { message: "the gateway to answer the writer's PUT" });
    // Refused: the lookup still runs. End it, so the writer's next attempt finds the gateway free.
    const occupying = controls.runningOperation(s.gatewayId);
    expect(occupying?.name).toBe(OPERATION_NAMES.getVpnclientConnectionHealth);
    clock.jumpTo(Date.parse(occupying?.endsAt ?? ""));
    await within(lookup, { message: "the operator's session lookup" });

    const writer = await s.settle();
    expect(writer.runtimeStatus).toBe("Running");
    expect(outcomesOf(writer, "applyGatewayState")[0]).toBe("busy");
    expect(revokedOn(await s.read())).toContain(revocation);
    const added = (status: string): number => (s.putStatuses()[status] ?? 0) - (statusesBefore[status] ?? 0);
    if (form === "synchronous") {
      expect(added("409")).toBeGreaterThanOrEqual(1);
    } else {
      // Accepted (200) and then failed: no 409 at all, and the refused PUT changed nothing.
      expect(added("409")).toBe(0);
      expect(added("200")).toBeGreaterThanOrEqual(2);
    }
  });
});
