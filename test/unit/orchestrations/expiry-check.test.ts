// The expiryCheckRun orchestration, step by step: expired entries first, then the scan at the orchestration's own
// instant, then each alert, the capacity line and each renewal; one failure (a webhook down) stops none of the rest
// and is named in a warning and the output.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { capacityAlert, expiryCheck } from "../../../src/orchestrations/expiry-check";
import type { ExpiryScan, GatewayCapacity } from "../../../src/clients/expiry-scan";
import { OrchestrationDriver } from "./orchestration-driver";

const NOW = new Date("2026-12-06T06:00:00.000Z");
const gatewayId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/vgw";
const capacity: GatewayCapacity = {
  gatewayId,
  name: "vgw",
  above: true,
  forecast: { used: 250, capacity: 300, percent: 83, ratePerDay: 2, daysUntilFull: 25 },
};
const scan: ExpiryScan = {
  alerts: [
    {
      key: "expiry:gateway-root:x:AA:30",
      severity: "warning",
      title: "Root x expires within 30 days",
      detail: "d",
      subject: "x",
      kind: "expiry",
      details: {},
    },
  ],
  renewals: [{ upn: "a@contoso.com", certificateName: "c1", thumbprint: "BB", notAfter: "2026-12-16T00:00:00.000Z" }],
  capacity: [capacity],
  problems: [],
};

function start(): OrchestrationDriver {
  return new OrchestrationDriver(expiryCheck, {}, { currentUtcDateTime: NOW });
}

describe("expiryCheckRun", () => {
  it("expires, scans at its own instant, alerts, tracks capacity and renews", () => {
    const flow = start();
    expect(flow.call).toMatchObject({ functionName: "expireCertificates", input: { now: NOW.toISOString() } });
    flow.answer(2);
    expect(flow.call).toMatchObject({ functionName: "collectExpiry", input: { now: NOW.toISOString() } });
    flow.answer(scan);
    expect(flow.call).toMatchObject({ functionName: "raiseAlert", input: scan.alerts[0] });
    flow.answer("sent");
    expect(flow.call).toMatchObject({ functionName: "trackRevocationCapacity", input: { gatewayId, above: true } });
    flow.answer(3);
    // The capacity policy is asked for a rotation before the alert, which names it.
    expect(flow.call).toMatchObject({ functionName: "rotationForCapacity", input: { now: NOW.toISOString() } });
    const rotation = { auto: true, state: "started", requestId: "ROT-1" } as const;
    flow.answer(rotation);
    expect(flow.call).toMatchObject({ functionName: "raiseAlert", input: capacityAlert(capacity, 3, rotation) });
    flow.answer("duplicate");
    expect(flow.call).toMatchObject({
      functionName: "startRenewal",
      input: { ...scan.renewals[0], now: NOW.toISOString() },
    });
    flow.answer({ requestId: "r1", instanceId: "i1", started: true });
    expect(flow.call).toMatchObject({ functionName: "startScheduledRotation", input: { now: NOW.toISOString() } });
    flow.answer({ due: false });
    expect(flow.output).toEqual({
      at: NOW.toISOString(),
      expired: 2,
      alerts: 1,
      renewals: [{ thumbprint: "BB", requestId: "r1" }],
      failures: [],
    });
  });

  it("keys the capacity alert on the gateway and the crossing, critical, with the forecast and the rotation", () => {
    const alert = capacityAlert(capacity, 2, { auto: false, state: "none" });
    expect(alert.key).toBe(`capacity:${gatewayId.toLowerCase()}:2`);
    expect(alert.severity).toBe("critical");
    expect(alert.detail).toContain(
      "250 of 300 revocation entries are used; full in about 25 days at 2 revocations a day",
    );
    expect(alert.detail).toContain("no root rotation runs: start one (POST /api/v1/roots/rotations");
    const started = capacityAlert(capacity, 2, { auto: true, state: "started", requestId: "ROT-7" });
    expect(started.detail).toContain("root rotation ROT-7 was started by the capacity policy (ROOT_ROTATION_AUTO)");
    expect(started.details).toMatchObject({ rotation: "started", rotationRequestId: "ROT-7" });
  });

  it("goes on past a failed alert, renews, and names the failure in a warning and the output", () => {
    const flow = start();
    flow.answer(0).answer({ ...scan, capacity: [] });
    flow.fail(new Error("alert webhook answered 503\n  at x"));
    expect(flow.call).toMatchObject({ functionName: "startRenewal" });
    flow.answer({ requestId: "r1", instanceId: "i1", started: true });
    flow.answer({ due: false });
    expect(flow.call).toMatchObject({
      functionName: "raiseAlert",
      input: { severity: "warning", title: "The expiry check could not judge everything" },
    });
    expect(JSON.stringify(flow.call)).toContain("alert webhook answered 503");
    flow.answer("sent");
    expect((flow.output as { failures: string[] }).failures).toEqual([
      "alert expiry:gateway-root:x:AA:30: alert webhook answered 503",
    ]);
  });

  it("starts the scheduled root rotation after the renewals and names it in the output", () => {
    const flow = start();
    flow.answer(0).answer({ ...scan, alerts: [], capacity: [], renewals: [] });
    expect(flow.call).toMatchObject({ functionName: "startScheduledRotation", input: { now: NOW.toISOString() } });
    flow.answer({ due: true, requestId: "f".repeat(32), started: true });
    expect(flow.output).toMatchObject({ rotation: "f".repeat(32), failures: [] });
  });
});

describe("expiryCheckRun: its steps, its counts and what it names", () => {
  const alert = (key: string): ExpiryScan["alerts"][number] => ({ ...scan.alerts[0]!, key });

  it("shows each phase in the status and counts only the alerts that were not duplicates", () => {
    const flow = start();
    flow.answer(0).answer({ ...scan, alerts: [alert("a1"), alert("a2"), alert("a3")], capacity: [], renewals: [] });
    flow.answer("sent").answer("duplicate").answer("sent");
    flow.answer({ due: false });
    expect(flow.output).toMatchObject({ alerts: 2 });
    expect(flow.customStatuses).toEqual(["expiring", "scanning", "alerting", "renewing", "done"]);
  });

  it("tracks a gateway below the line without asking for a rotation or alerting", () => {
    const flow = start();
    flow.answer(0).answer({ ...scan, alerts: [], capacity: [{ ...capacity, above: false }] });
    expect(flow.call).toMatchObject({ functionName: "trackRevocationCapacity", input: { gatewayId, above: false } });
    flow.answer(1);
    expect(flow.call.functionName).toBe("startRenewal");
  });

  it("asks for the rotation with the gateway's name and fill as the reason", () => {
    const flow = start();
    flow.answer(0).answer({ ...scan, alerts: [], renewals: [] });
    flow.answer(1);
    expect(flow.call).toEqual({
      functionName: "rotationForCapacity",
      input: { reason: "gateway vgw: the revocation list is 83 % full", now: NOW.toISOString() },
      retry: expect.any(Object) as unknown,
    });
  });

  it("names each failed step, and raises one warning per run with every problem, keyed on the run's instant", () => {
    const flow = start();
    flow.answer(0).answer({ ...scan, alerts: [], problems: ["root x unreadable", "gateway y unreadable"] });
    flow.fail(new Error("tracking failed"));
    flow.fail(new Error("renewal failed"));
    flow.fail(new Error("schedule failed"));
    const failures = [
      "capacity of vgw: tracking failed",
      "renewal of BB: renewal failed",
      "scheduled root rotation: schedule failed",
    ];
    expect(flow.call).toMatchObject({
      functionName: "raiseAlert",
      input: {
        key: `expiry-problems:${NOW.toISOString()}`,
        severity: "warning",
        kind: "expiry",
        title: "The expiry check could not judge everything",
        detail: ["root x unreadable", "gateway y unreadable", ...failures].join("; "),
        subject: "expiryCheck",
      },
    });
    flow.fail(new Error("webhook down"));
    expect((flow.output as { failures: string[] }).failures).toEqual([...failures, "problems alert: webhook down"]);
  });

  it("builds the capacity alert with every field, with and without a rotation", () => {
    const unforecast: GatewayCapacity = { ...capacity, forecast: { ...capacity.forecast, daysUntilFull: null } };
    const alone = capacityAlert(unforecast, 4);
    expect(alone).toEqual({
      key: `capacity:${gatewayId.toLowerCase()}:4`,
      severity: "critical",
      kind: "capacity",
      title: "Gateway vgw: the revocation list is 83 % full",
      detail:
        "250 of 300 revocation entries are used; no revocations in the last 30 days, so no forecast. Past 300 the " +
        "writer leaves off the revocations that expire soonest (their certificates can still connect) until a root " +
        "rotation retires their root: start a root rotation (POST /api/v1/roots/rotations) or set ROOT_ROTATION_AUTO=true.",
      subject: gatewayId,
      details: {
        used: 250,
        capacity: 300,
        percent: 83,
        ratePerDay: 2,
        daysUntilFull: -1,
        crossing: 4,
        rotation: "",
        rotationRequestId: "",
      },
    });
    const running = capacityAlert(capacity, 1, {
      auto: false,
      state: "running",
      requestId: "ROT-2",
      step: "reissuing",
    });
    expect(running.detail).toContain(
      ": root rotation ROT-2 (now at step reissuing) clears the old root's entries when it retires the old root.",
    );
    expect(running.details).toMatchObject({ daysUntilFull: 25, rotation: "running", rotationRequestId: "ROT-2" });
    expect(capacityAlert(capacity, 1, { auto: true, state: "none" }).details).toMatchObject({
      rotation: "none",
      rotationRequestId: "",
    });
  });
});
