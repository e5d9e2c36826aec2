// Issue 14: over capacity the writer keeps writing. A write (or an in-sync pass) that left revocations off asks the
// capacity policy for a rotation, then raises one critical alert per distinct left-off set, naming each left-off
// revocation (thumbprint, UPN, notAfter) and the rotation that clears them; then the pass goes on as usual.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { gatewayWriter } from "../../../src/orchestrations/gateway-writer";
import { leftOffKey } from "../../../src/domain/capacity-alert";
import type { GatewayWriterInput } from "../../../src/domain/gateway-writer-input";
import { START, WriterHarness } from "./writer-harness";

const GATEWAY_ID =
  "/subscriptions/sub-1/resourceGroups/rg-vpn/providers/Microsoft.Network/virtualNetworkGateways/GW-West";
const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const input: GatewayWriterInput = {
  gatewayId: GATEWAY_ID,
  busyBackoffMs: 1000,
  coalesceMs: 0,
  busyAlertMs: 600_000,
  continued: true,
};
const desired = { roots: [], revokedThumbprints: [tp(1), tp(2)], expiredThumbprints: [] };
const revokedUsers = { [tp(1)]: "ada@contoso.com", [tp(2)]: "bob@contoso.com" };
const leftOff = [{ thumbprint: tp(2), notAfter: "2031-01-05T00:00:00.000Z", wasOnGateway: false }];
const plan = {
  addedRevocations: [tp(1)],
  prunedRevocations: [],
  rootsAdded: [],
  rootsRemoved: [],
  restored: [],
  rootsRetired: [],
  leftOff,
};

function pass(h: WriterHarness, applied: unknown): WriterHarness {
  h.answer("computeDesiredGatewayState", { desired, revokedUsers, rowsRead: 2 }).answer("applyGatewayState", applied);
  return h;
}

describe("gatewayWriter over capacity", () => {
  it("writes, then starts or finds the rotation and raises a critical alert naming what was left off", () => {
    const h = new WriterHarness(gatewayWriter, input);
    pass(h, { outcome: "started", operation: "", writeKey: "k", plan, kept: { roots: [], revoked: [] } });
    h.answer("awaitGatewayWrite", { outcome: "written", revokedCount: 300, rootCount: 1 });
    h.answer("recordGatewaySync", { written: 1, rootsRemoved: [] });
    expect(h.call).toMatchObject({
      functionName: "rotationForCapacity",
      input: { reason: "gateway GW-West has no room for 1 revocations", now: new Date(START).toISOString() },
    });
    h.answer("rotationForCapacity", { auto: true, state: "started", requestId: "ROT-1" });
    expect(h.call.functionName).toBe("raiseAlert");
    const alert = h.call.input as { key: string; severity: string; detail: string; kind: string };
    expect(alert.severity).toBe("critical");
    expect(alert.kind).toBe("capacity");
    expect(alert.key).toBe(leftOffKey(GATEWAY_ID, leftOff));
    expect(alert.detail).toContain(`${tp(2)} (bob@contoso.com, expires 2031-01-05T00:00:00.000Z)`);
    expect(alert.detail).toContain("Root rotation ROT-1 was started by the capacity policy (ROOT_ROTATION_AUTO)");
    h.answer("raiseAlert", "sent");
    h.answer("findRevokedSessions", { outcome: "none" });
    // Written: the writer loops for another pass (to pick up what arrived during the write).
    expect(h.call.functionName).toBe("computeDesiredGatewayState");
  });

  it("alerts with the same key from an in-sync pass with the same set, saying how to start a rotation", () => {
    const h = new WriterHarness(gatewayWriter, input);
    pass(h, { outcome: "inSync", revokedCount: 300, rootCount: 1, leftOff });
    h.answer("recordGatewaySync", { written: 0, rootsRemoved: [] });
    h.answer("rotationForCapacity", { auto: false, state: "none" });
    const alert = h.call.input as { key: string; detail: string };
    expect(alert.key).toBe(leftOffKey(GATEWAY_ID, [{ ...leftOff[0]!, wasOnGateway: true }]));
    expect(alert.detail).toContain("No root rotation runs: start one (POST /api/v1/roots/rotations");
    h.answer("raiseAlert", "duplicate").answer("findRevokedSessions", { outcome: "none" });
    // In sync: it sleeps, it does not loop on what it cannot write.
    expect(h.status).toMatchObject({ state: "waiting" });
  });

  it("keeps going when the alert cannot be sent, and says so in its status", () => {
    const h = new WriterHarness(gatewayWriter, input);
    pass(h, { outcome: "inSync", revokedCount: 300, rootCount: 1, leftOff });
    h.answer("recordGatewaySync", { written: 0, rootsRemoved: [] });
    h.answer("rotationForCapacity", { auto: false, state: "running", requestId: "ROT-9", step: "reissuing" });
    expect((h.call.input as { detail: string }).detail).toContain("Root rotation ROT-9 (now at step reissuing)");
    h.fail("raiseAlert", new Error("webhook down"));
    const notSent = h.statuses.find((st) => st["state"] === "capacity alert not sent");
    expect(String(notSent?.["detail"])).toContain("webhook down");
    h.answer("findRevokedSessions", { outcome: "none" });
    expect(h.status).toMatchObject({ state: "waiting" });
  });

  it("raises nothing and asks for no rotation when nothing was left off", () => {
    const h = new WriterHarness(gatewayWriter, input);
    pass(h, { outcome: "inSync", revokedCount: 2, rootCount: 1, leftOff: [] });
    h.answer("recordGatewaySync", { written: 0, rootsRemoved: [] });
    expect(h.call.functionName).toBe("findRevokedSessions");
  });
});
