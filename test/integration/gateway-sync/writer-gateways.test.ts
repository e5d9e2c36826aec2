// Issue 5 with several gateways and the coalescing window: offboardings requested close together share one write
// on every gateway, each gateway's writer ends the sessions on its own gateway, and a gateway that cannot be reached
// fails its own writer loudly without holding back the others. The host runs on a virtual clock, so the coalescing
// window (a durable timer) ends when the test moves the clock, after every request is in, not after some wall time.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { createVirtualClock } from "../../../dev/host/clock";
import type { ManualClock } from "../../../dev/host/clock";
import { GatewayClient, parseGatewayId } from "../../../src/clients/gateway";
import { getConfig } from "../../../src/config";
import { gatewayWriterInstanceId } from "../../../src/domain/gateway-writer-id";
import { within } from "../../support/wait";
import { revokedOn, startSyncSandbox } from "./sync-sandbox";
import type { SyncSandbox } from "./sync-sandbox";

const COALESCE_MS = 1500;
/** Requests are this far apart on the host's clock: all four inside one coalescing window. */
const SPREAD_MS = 150;
const SETTLE_TIMEOUT_MS = 60_000;
let clock: ManualClock;
let s: SyncSandbox;
let gatewayIds: readonly string[];

beforeAll(async () => {
  clock = createVirtualClock(Date.now());
  s = await startSyncSandbox({ clock, gateways: 2, settings: { GATEWAY_COALESCE_MS: String(COALESCE_MS) } });
  gatewayIds = s.sandbox.endpoints.gatewayIds;
});

afterAll(async () => {
  await s.stop();
});

const alerts = (): string[] => s.sandbox.logs.filter((line) => line.includes("ALERT"));
const writerState = (id: string): string | undefined =>
  (s.sandbox.durable.inspect(gatewayWriterInstanceId(id))?.customStatus as { state?: string } | null | undefined)
    ?.state;

/**
 * Waits until every gateway's writer sleeps in sync or has failed, moving the host's clock a second at a time so
 * durable timers (coalescing, retries) fire; returns their runtime states by gateway.
 */
async function settleAll(): Promise<Record<string, string>> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const idle = (): Promise<void> => within(s.sandbox.host.idle(), { message: "the host to go idle" });
  for (;;) {
    await idle();
    const states: Record<string, string> = {};
    for (const id of gatewayIds) {
      const writer = s.sandbox.durable.inspect(gatewayWriterInstanceId(id));
      if (writer !== undefined && (writer.runtimeStatus === "Failed" || writerState(id) === "waiting")) {
        states[parseGatewayId(id).name] = writer.runtimeStatus;
      }
    }
    if (Object.keys(states).length === gatewayIds.length) {
      // Idle and asleep: nothing is queued for them (an event would be runnable work).
      await idle();
      if (gatewayIds.every((id) => writerState(id) === "waiting" || states[parseGatewayId(id).name] === "Failed")) {
        return states;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the writers did not settle within ${SETTLE_TIMEOUT_MS} ms: ${gatewayIds.map(writerState).join(", ")}`,
      );
    }
    await clock.advance(1_000);
  }
}

/** Writes the writers made to one gateway, from the audit (one "gateway.written" entry per write). */
async function writesTo(name: string): Promise<number> {
  const audit = await s.ledger.listAudit(`gateway:${name.toLowerCase()}`);
  return audit.filter((a) => a.action === "gateway.written").length;
}

describe("gateway writers of several gateways", () => {
  it("apply offboardings requested within the coalescing window in one write per gateway, and end sessions on each", async () => {
    expect(gatewayIds).toHaveLength(2);
    await settleAll();
    const names = gatewayIds.map((id) => parseGatewayId(id).name);
    const before = await Promise.all(names.map(writesTo));
    const users = ["ann", "bob", "cyd", "dee"].map((u) => `${u}@contoso.com`);
    const thumbprints = await Promise.all(users.map((upn) => s.activeInLedger(upn)));
    const sessions = gatewayIds.map((id) =>
      s.sandbox.arm.controls.connectSession(id, { vpnUserName: "ann@contoso.com" }),
    );
    const other = s.sandbox.arm.controls.connectSession(gatewayIds[1] ?? "", { vpnUserName: "eve@contoso.com" });

    // Four requests spread over about half a second, as a helpdesk batch or an HR feed sends them: each one done
    // (marked, writers asked) before the clock moves on to the next.
    for (const [i, upn] of users.entries()) {
      if (i > 0) await clock.advance(SPREAD_MS);
      const id = await s.offboard(upn, `BATCH-${i}`);
      expect((await s.sandbox.waitForInstance(id)).runtimeStatus).toBe("Completed");
    }
    // The first request opened each writer's window; the last came inside it.
    expect(gatewayIds.map(writerState)).toEqual(["coalescing", "coalescing"]);
    expect(Object.values(await settleAll())).toEqual(["Running", "Running"]);

    const operator = new GatewayClient(getConfig(), { pollIntervalMs: 10 });
    for (const [i, id] of gatewayIds.entries()) {
      expect(revokedOn(await operator.read(parseGatewayId(id)))).toEqual(expect.arrayContaining(thumbprints));
      expect((await writesTo(names[i] ?? "")) - (before[i] ?? 0)).toBe(1);
      const left = s.sandbox.arm.controls.sessions(id).map((x) => x["vpnConnectionId"]);
      expect(left).not.toContain(sessions[i]);
    }
    expect(s.sandbox.arm.controls.sessions(gatewayIds[1] ?? "").map((x) => x["vpnConnectionId"])).toContain(other);
  });

  it("fail loudly for a gateway that is gone, while the other gateway still gets the revocation", async () => {
    await settleAll();
    const [first, second] = gatewayIds as [string, string];
    const secondName = parseGatewayId(second).name;
    const thumbprint = await s.activeInLedger("fay@contoso.com");
    const alertsBefore = alerts().length;
    // The second gateway was deleted (or its id mistyped in the settings).
    s.sandbox.arm.controls.removeGateway(second);

    const offboarding = await s.offboard("fay@contoso.com", "LEAVER-FAY");
    expect((await s.sandbox.waitForInstance(offboarding)).runtimeStatus).toBe("Completed");
    const states = await settleAll();

    expect(states[parseGatewayId(first).name]).toBe("Running");
    expect(states[secondName]).toBe("Failed");
    const operator = new GatewayClient(getConfig(), { pollIntervalMs: 10 });
    expect(revokedOn(await operator.read(parseGatewayId(first)))).toContain(thumbprint);
    const raised = alerts().slice(alertsBefore).join("\n");
    expect(raised).toContain(`ALERT critical: Gateway ${secondName}`);
    expect(raised).toContain("NotFound");
  });
});
