// Issue 5 with several gateways and the coalescing window: offboardings requested close together share one write
// on every gateway, each gateway's writer ends the sessions on its own gateway, and a gateway that cannot be reached
// fails its own writer loudly without holding back the others.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { GatewayClient, parseGatewayId } from "../../../src/clients/gateway";
import { getConfig } from "../../../src/config";
import { gatewayWriterInstanceId } from "../../../src/domain/gateway-writer-id";
import { revokedOn, startSyncSandbox } from "./sync-sandbox";
import type { SyncSandbox } from "./sync-sandbox";

const COALESCE_MS = 1500;
let s: SyncSandbox;
let gatewayIds: readonly string[];

beforeAll(async () => {
  s = await startSyncSandbox({ gateways: 2, settings: { GATEWAY_COALESCE_MS: String(COALESCE_MS) } });
  gatewayIds = s.sandbox.endpoints.gatewayIds;
});

afterAll(async () => {
  await s.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const alerts = (): string[] => s.sandbox.logs.filter((line) => line.includes("ALERT"));

/** Waits until every gateway's writer sleeps in sync or has failed; returns their runtime states by gateway. */
async function settleAll(): Promise<Record<string, string>> {
  for (;;) {
    await s.sandbox.host.idle();
    const states: Record<string, string> = {};
    for (const id of gatewayIds) {
      const writer = s.sandbox.durable.inspect(gatewayWriterInstanceId(id));
      const state = (writer?.customStatus as { state?: unknown } | null | undefined)?.state;
      if (writer !== undefined && (writer.runtimeStatus === "Failed" || state === "waiting")) {
        states[parseGatewayId(id).name] = writer.runtimeStatus;
      }
    }
    if (Object.keys(states).length === gatewayIds.length) return states;
    await sleep(20);
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

    // Four requests spread over about half a second, as a helpdesk batch or an HR feed sends them.
    const instances: string[] = [];
    for (const [i, upn] of users.entries()) {
      instances.push(await s.offboard(upn, `BATCH-${i}`));
      await sleep(150);
    }
    for (const id of instances) expect((await s.sandbox.waitForInstance(id)).runtimeStatus).toBe("Completed");
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
