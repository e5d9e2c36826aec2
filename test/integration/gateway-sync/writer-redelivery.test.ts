// At-least-once delivery of the writer's activities, made deterministic: the test invokes applyGatewayState itself,
// as the durable backend re-delivers it (same input, its completion dropped), against the ARM emulator and the ledger.
// 1. A write sent by an execution whose result the writer never sees is still audited (the writer's next pass finds
//    the gateway in sync; before, nothing ever wrote the audit entry for that write).
// 2. An execution re-delivered after a newer pass has written (its input, the older desired state) writes nothing:
//    it would have put the older root data back.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import type { ApplyGatewayOutcome, AwaitWriteOutcome } from "../../../src/activities/gateway-apply";
import type { DesiredGatewayState } from "../../../src/clients/desired-gateway-state";
import type { DesiredState } from "../../../src/domain/gateway-config";
import { selfSignedRoot } from "./roots";
import { revokedOn, startSyncSandbox, thumbprint } from "./sync-sandbox";
import type { SyncSandbox } from "./sync-sandbox";

let s: SyncSandbox;

beforeAll(async () => {
  s = await startSyncSandbox();
});

afterAll(async () => {
  await s.stop();
});

async function invoke<T>(activity: string, input: unknown): Promise<T> {
  return (await s.sandbox.host.invoker.invoke(activity, input)).returnValue as T;
}

/** One applyGatewayState execution as a (re-)delivery runs it; a write it starts is followed to its end. */
async function apply(input: {
  passId: string;
  ticket: { at: number; seq: number };
  desired: DesiredState;
}): Promise<ApplyGatewayOutcome> {
  const outcome = await invoke<ApplyGatewayOutcome>("applyGatewayState", {
    gatewayId: s.gatewayId,
    revokedUsers: {},
    ...input,
  });
  if (outcome.outcome === "started") {
    let progress: AwaitWriteOutcome = { outcome: "running", operation: outcome.operation };
    for (let call = 0; progress.outcome === "running"; call++) {
      if (call > 50) throw new Error("the write did not end after 50 follow-ups");
      progress = await invoke<AwaitWriteOutcome>("awaitGatewayWrite", {
        gatewayId: s.gatewayId,
        operation: progress.operation,
        writeKey: outcome.writeKey,
        desired: input.desired,
      });
    }
    expect(progress.outcome).toBe("written");
  }
  return outcome;
}

describe("re-delivered applyGatewayState executions", () => {
  it("a write whose result the writer never saw is audited by the writer's next pass", async () => {
    await s.settle();
    const writesBefore = s.appliedWrites();
    const auditedBefore = (await s.audit("gateway.written")).length;
    const [revocation] = await s.revokeInLedger(1);
    const { desired } = await invoke<DesiredGatewayState>("computeDesiredGatewayState", {});

    // The execution whose completion the orchestrator drops: it writes, and nobody but the gateway knows.
    const dropped = await apply({ passId: "dropped-pass", ticket: { at: Date.now(), seq: 0 }, desired });
    expect(dropped.outcome).toBe("started");
    expect(revokedOn(await s.read())).toContain(revocation);

    // The writer's own pass finds the gateway in sync and writes nothing: the write it never saw is audited once.
    await s.reconcile();
    expect((await s.settle()).runtimeStatus).toBe("Running");
    expect(s.appliedWrites() - writesBefore).toBe(1);
    const written = (await s.audit("gateway.written")).slice(auditedBefore);
    expect(written).toHaveLength(1);
    expect(written[0]?.details).toMatchObject({ pass: "dropped-pass", added: 1 });
    expect(written[0]?.details?.["firstAdded"]).toBe(revocation);
    expect(written[0]?.reason).toContain("the gateway accepted a write");
  });

  it("an execution re-delivered after a newer pass has written changes nothing that pass did", async () => {
    await s.settle();
    const rootA = await selfSignedRoot("CN=Rotating Root A");
    const rootB = await selfSignedRoot("CN=Rotating Root B");
    const [t1, t2] = [thumbprint(), thumbprint()];
    const older: DesiredState = {
      roots: [{ name: "rotating-root", publicCertData: rootA }],
      revokedThumbprints: [t1],
      expiredThumbprints: [],
    };
    // The newer pass: the root renewed under the same name, one more revocation.
    const newer: DesiredState = {
      roots: [{ name: "rotating-root", publicCertData: rootB }],
      revokedThumbprints: [t1, t2],
      expiredThumbprints: [],
    };
    const now = Date.now();
    expect((await apply({ passId: "older-pass", ticket: { at: now, seq: 1 }, desired: older })).outcome).toBe(
      "started",
    );
    expect((await apply({ passId: "newer-pass", ticket: { at: now + 1, seq: 2 }, desired: newer })).outcome).toBe(
      "started",
    );
    const afterNewer = await s.read();
    expect(afterNewer.state.roots).toContainEqual({ name: "rotating-root", publicCertData: rootB });

    // The older pass's execution, delivered again now, with its input as it was.
    const stale = await apply({ passId: "older-pass", ticket: { at: now, seq: 1 }, desired: older });
    expect(stale.outcome).toBe("superseded");
    const afterStale = await s.read();
    expect(afterStale.etag).toBe(afterNewer.etag);
    expect(afterStale.state.roots).toContainEqual({ name: "rotating-root", publicCertData: rootB });
    expect(revokedOn(afterStale)).toEqual(expect.arrayContaining([t1, t2]));

    // The newer pass delivered again is no stale execution: the gateway already holds its state.
    const again = await apply({ passId: "newer-pass", ticket: { at: now + 1, seq: 2 }, desired: newer });
    expect(again.outcome).toBe("inSync");
  });
});
