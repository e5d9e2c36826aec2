// The lifecycle request's decisions, step by step: what it checks, which orchestration it runs under which id, when
// a reissue revokes the older certificates (after the new one, or at once for a lost device), that a renewal never
// does, and that refusals and failures are audited.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { lifecycleRequest } from "../../../src/orchestrations/lifecycle-request";
import type { LifecycleAction, LifecycleInput } from "../../../src/domain/lifecycle";
import { offboardingInstanceId } from "../../../src/clients/offboarding-start";
import { OrchestrationDriver } from "./orchestration-driver";

const INSTANCE = "lifecycle-0123";

function inputOf(action: LifecycleAction, extra: Partial<LifecycleInput> = {}): LifecycleInput {
  return {
    requestId: "0123456789abcdef0123456789abcdef",
    source: "ticket",
    sourceKey: "INC0001",
    action,
    upn: "Ada@contoso.com",
    actor: "ticket:servicenow",
    ticketId: "INC0001",
    requestedAt: "2030-01-01T00:00:00.000Z",
    certificateNamePrefix: "p2s-test",
    writers: [{ gatewayId: "gw-1", busyBackoffMs: 1, coalesceMs: 0, busyAlertMs: 1 }],
    ...extra,
  };
}

function driver(input: LifecycleInput): OrchestrationDriver {
  return new OrchestrationDriver(lifecycleRequest, input, {
    instanceId: INSTANCE,
    currentUtcDateTime: new Date("2030-01-01T00:00:01.000Z"),
    callSubOrchestrator: (functionName: string, subInput: unknown, instanceId: string) => ({
      actionObj: { functionName, input: { instanceId, input: subInput } },
    }),
  });
}

const issued = {
  upn: "Ada@contoso.com",
  status: "active",
  certificateName: "p2s-test-new",
  thumbprint: "AB".repeat(20),
  serialNumber: "01",
  notBefore: "2030-01-01T00:00:00.000Z",
  notAfter: "2031-01-01T00:00:00.000Z",
};
const planned = { linkExpiresAt: "2030-01-04T00:00:00.000Z" };
const collected = { collected: true, thumbprint: issued.thumbprint, notAfter: issued.notAfter, ...planned };
const uncollected = { ...collected, collected: false, reason: "the passphrase was not collected" };
const older = { certificateNames: ["p2s-test-old"], thumbprints: ["CD".repeat(20)] };

/** Answers each call in turn and returns the names called. */
function walk(flow: OrchestrationDriver, answers: readonly unknown[]): string[] {
  const names: string[] = [];
  for (const answer of answers) {
    names.push(flow.call.functionName);
    flow.answer(answer);
  }
  return names;
}

describe("lifecycleRequest", () => {
  it("onboards through the issuance orchestration as a rehire at the acceptance time", () => {
    const flow = driver(inputOf("onboard"));
    expect(flow.call.functionName).toBe("checkLifecycleStanding");
    flow.answer({});
    expect(flow.call.functionName).toBe("issueClientCertificate");
    expect(flow.call.input).toMatchObject({
      instanceId: `${INSTANCE}:issue`,
      input: {
        upn: "Ada@contoso.com",
        requestId: "0123456789abcdef0123456789abcdef",
        source: "ticket",
        sourceId: "INC0001",
        rehire: true,
        effectiveAt: "2030-01-01T00:00:00.000Z",
      },
    });
    expect(walk(flow, [issued, planned])).toEqual(["issueClientCertificate", "planDelivery"]);
    // The request shows the delivery's step and the link's expiry while its user has not collected it.
    expect(flow.customStatuses.at(-1)).toEqual({ step: "awaiting-collection", ...planned });
    expect(flow.call).toMatchObject({
      functionName: "deliverCertificate",
      input: {
        instanceId: `${INSTANCE}:delivery`,
        input: {
          requestId: inputOf("onboard").requestId,
          certificateName: "p2s-test-new",
          thumbprint: issued.thumbprint,
        },
      },
    });
    expect(walk(flow, [collected, null])).toEqual(["deliverCertificate", "auditLifecycle"]);
    expect(flow.output).toMatchObject({
      action: "onboard",
      status: "active",
      thumbprint: issued.thumbprint,
      collected: true,
      ...planned,
    });
    expect(flow.customStatuses.at(-1)).toEqual({ step: "done" });
  });

  it("offboards through offboardUser under the offboarding id scheme, effective at the acceptance time", () => {
    const flow = driver(inputOf("offboard"));
    flow.answer({});
    expect(flow.call.functionName).toBe("offboardUser");
    expect(flow.call.input).toMatchObject({
      instanceId: offboardingInstanceId("ada@contoso.com", "0123456789abcdef0123456789abcdef"),
      input: { request: { effectiveAt: "2030-01-01T00:00:00.000Z", gatewayIds: ["gw-1"] } },
    });
    flow.answer({ revokedThumbprints: ["EF".repeat(20)], gateways: 1 });
    flow.answer(null);
    expect(flow.output).toMatchObject({ status: "offboarded", revokedThumbprints: ["EF".repeat(20)] });
  });

  it("reissue revokes the older certificates only after the new one is collected", () => {
    const flow = driver(inputOf("reissue"));
    const names = walk(flow, [{}, issued, planned, collected, older, 1, [], null]);
    expect(names).toEqual([
      "checkLifecycleStanding",
      "issueClientCertificate",
      "planDelivery",
      "deliverCertificate",
      "revokeOlderCertificates",
      "disableCertificates",
      "wakeGatewayWriters",
      "auditLifecycle",
    ]);
    expect(flow.output).toMatchObject({ status: "active", revokedThumbprints: older.thumbprints });
  });

  it("reissue leaves the older certificates in place when the new one is never collected", () => {
    const flow = driver(inputOf("reissue"));
    const names = walk(flow, [{}, issued, planned, uncollected, null]);
    expect(names).toEqual([
      "checkLifecycleStanding",
      "issueClientCertificate",
      "planDelivery",
      "deliverCertificate",
      "auditLifecycle",
    ]);
    expect(flow.output).toMatchObject({ status: "active", collected: false });
    expect(flow.output).not.toHaveProperty("revokedThumbprints");
  });

  it("reissue for a lost device revokes the older certificates before issuing, keeping the new one's name", () => {
    const flow = driver(inputOf("reissue", { lostDevice: true }));
    flow.answer({});
    expect(flow.call.functionName).toBe("revokeOlderCertificates");
    expect((flow.call.input as { keep: string }).keep).toMatch(/^p2s-test-[0-9a-f]{32}$/);
    const names = walk(flow, [older, 1, [], issued, planned, uncollected, null]);
    expect(names).toEqual([
      "revokeOlderCertificates",
      "disableCertificates",
      "wakeGatewayWriters",
      "issueClientCertificate",
      "planDelivery",
      "deliverCertificate",
      "auditLifecycle",
    ]);
  });

  it("renew issues and delivers, and never revokes", () => {
    const flow = driver(inputOf("renew", { source: "renewal", sourceKey: "AB".repeat(20) }));
    expect(walk(flow, [{}, issued, planned, collected, null])).toEqual([
      "checkLifecycleStanding",
      "issueClientCertificate",
      "planDelivery",
      "deliverCertificate",
      "auditLifecycle",
    ]);
    expect(flow.output).not.toHaveProperty("revokedThumbprints");
  });

  it("a reissue whose certificate ended revoked (offboarded meanwhile) touches nothing older", () => {
    const flow = driver(inputOf("reissue"));
    expect(walk(flow, [{}, { ...issued, status: "revoked" }, null])).toEqual([
      "checkLifecycleStanding",
      "issueClientCertificate",
      "auditLifecycle",
    ]);
    expect(flow.output).toMatchObject({ status: "revoked" });
  });

  it("a refusal does nothing, is audited as refused and ends refused", () => {
    const flow = driver(inputOf("reissue"));
    flow.answer({ refusal: "ada was offboarded" });
    expect(flow.call.functionName).toBe("auditLifecycle");
    expect(flow.call.input).toMatchObject({ event: "request.refused", request: { ticketId: "INC0001" } });
    flow.answer(null);
    expect(flow.output).toMatchObject({ status: "refused", refused: true, reason: "ada was offboarded" });
  });

  it("with a callbackUrl, ends by calling back the final view, whose failure does not fail the request", () => {
    const flow = driver(inputOf("onboard", { callbackUrl: "https://tickets.contoso.com/hook" }));
    walk(flow, [{}, issued, planned, collected, null]);
    expect(flow.customStatuses.at(-1)).toEqual({ step: "calling-back" });
    expect(flow.call).toMatchObject({
      functionName: "sendCallback",
      input: {
        instanceId: `${INSTANCE}:callback`,
        input: {
          callbackUrl: "https://tickets.contoso.com/hook",
          ticketId: "INC0001",
          source: "ticket",
          actor: "ticket:servicenow",
          payload: {
            requestId: inputOf("onboard").requestId,
            ticketId: "INC0001",
            action: "onboard",
            upn: "Ada@contoso.com",
            status: "succeeded",
            result: { certificateStatus: "active", thumbprint: issued.thumbprint, ...planned, collected: true },
          },
        },
      },
    });
    flow.fail(new Error("sendCallback broke"));
    expect(flow.output).toMatchObject({ status: "active" });
  });

  it("a refused request calls back failed with the reason", () => {
    const flow = driver(inputOf("reissue", { callbackUrl: "https://tickets.contoso.com/hook" }));
    walk(flow, [{ refusal: "ada was offboarded" }, null]);
    expect(flow.call.input).toMatchObject({
      input: { payload: { status: "failed", error: "ada was offboarded", action: "reissue" } },
    });
    expect((flow.call.input as { input: { payload: object } }).input.payload).not.toHaveProperty("result");
  });

  it("a failure is audited and fails the instance with its cause, so a repeat starts it again", () => {
    const flow = driver(inputOf("onboard"));
    flow.answer({});
    flow.fail(new Error("Orchestrator function 'issueClientCertificate' failed: checkCertificateCap: cap reached"));
    expect(flow.call.functionName).toBe("auditLifecycle");
    expect(flow.call.input).toMatchObject({ event: "request.failed", reason: "checkCertificateCap: cap reached" });
    expect(() => flow.answer(null)).toThrow(/^checkCertificateCap: cap reached$/);
  });

  it("a failure with a callbackUrl calls back failed before the instance fails", () => {
    const flow = driver(inputOf("onboard", { callbackUrl: "https://tickets.contoso.com/hook" }));
    flow.answer({});
    flow.fail(new Error("Orchestrator function 'issueClientCertificate' failed: vault down"));
    flow.answer(null);
    expect(flow.call).toMatchObject({
      functionName: "sendCallback",
      input: { input: { payload: { status: "failed", error: "vault down" } } },
    });
    expect(() => flow.answer({ delivered: true, attempts: 1 })).toThrow(/^vault down$/);
  });
});

describe("lifecycleRequest: its steps, audit, reasons and public result", () => {
  const steps = (flow: OrchestrationDriver): string[] =>
    flow.customStatuses.map((s) => (s as { step: string }).step).filter((s, i, all) => all[i - 1] !== s);

  it("shows each step, and audits a completion with its status and thumbprint", () => {
    const flow = driver(inputOf("reissue", { lostDevice: true, reason: "laptop stolen" }));
    flow.answer({});
    expect(flow.call.input).toEqual({
      request: {
        requestId: inputOf("reissue").requestId,
        upn: "Ada@contoso.com",
        requestedAt: "2030-01-01T00:00:00.000Z",
        actor: "ticket:servicenow",
        source: "ticket",
        reason: "laptop stolen",
      },
      keep: expect.stringMatching(/^p2s-test-/) as unknown,
    });
    flow.answer(older);
    expect(flow.call.input).toEqual({ certificateNames: older.certificateNames });
    flow.answer(1);
    expect(flow.call.input).toEqual({ reason: `reissue ${inputOf("reissue").requestId}` });
    // Revoked already, before the issuance: the collection revokes nothing again.
    walk(flow, [[], issued, planned, collected]);
    expect(flow.call.functionName).toBe("auditLifecycle");
    expect(flow.call.input).toEqual({
      request: {
        requestId: inputOf("reissue").requestId,
        upn: "Ada@contoso.com",
        actor: "ticket:servicenow",
        source: "ticket",
        sourceKey: "INC0001",
        action: "reissue",
        ticketId: "INC0001",
      },
      event: "request.completed",
      reason: "active",
      details: { status: "active", thumbprint: issued.thumbprint },
    });
    flow.answer(null);
    expect(steps(flow)).toEqual([
      "checking-standing",
      "revoking-old-certificates",
      "issuing",
      "awaiting-collection",
      "done",
    ]);
    expect(flow.output).not.toHaveProperty("reason");
  });

  it("offboarding shows its step and audits its status alone", () => {
    const flow = driver(inputOf("offboard"));
    walk(flow, [{}, { revokedThumbprints: [], gateways: 1 }]);
    expect(flow.call.input).toMatchObject({ event: "request.completed", details: { status: "offboarded" } });
    expect((flow.call.input as { details: object }).details).toEqual({ status: "offboarded" });
    flow.answer(null);
    expect(steps(flow)).toEqual(["checking-standing", "offboarding", "done"]);
  });

  it("revokes after collection, showing the step, and wakes nothing when nothing older was live", () => {
    const flow = driver(inputOf("reissue"));
    walk(flow, [{}, issued, planned, collected]);
    expect(flow.call.functionName).toBe("revokeOlderCertificates");
    expect(flow.call.input).not.toHaveProperty("request.reason");
    flow.answer({ certificateNames: [], thumbprints: [] });
    expect(flow.call.functionName).toBe("auditLifecycle");
    expect(steps(flow)).toContain("revoking-old-certificates");
    flow.answer(null);
    expect(flow.output).toMatchObject({ revokedThumbprints: [] });
  });

  it("says why the older certificates stayed, or why the delivery ended, and tells the ticket as a note", () => {
    const flow = driver(inputOf("reissue", { callbackUrl: "https://tickets.contoso.com/hook" }));
    walk(flow, [{}, issued, planned, uncollected, null]);
    const kept = "the new certificate was not collected, so the older ones were left in place";
    expect(flow.call.input).toMatchObject({ input: { payload: { result: { note: kept } } } });

    // The same when the delivery gives no reason of its own.
    const silent = driver(inputOf("reissue"));
    walk(silent, [{}, issued, planned, { ...collected, collected: false }, null]);
    expect(silent.output).toMatchObject({ reason: kept });

    const renewal = driver(inputOf("renew"));
    walk(renewal, [{}, issued, planned, uncollected]);
    expect(renewal.call.input).toMatchObject({ reason: "the passphrase was not collected" });
    renewal.answer(null);
    expect(renewal.output).toMatchObject({ reason: "the passphrase was not collected" });
  });

  it("ends stale, audited as refused, when the offboarding predates a rehire", () => {
    const flow = driver(inputOf("offboard"));
    flow.answer({ refusal: "rehired since", stale: true });
    expect(flow.call.input).toMatchObject({ event: "request.refused", reason: "rehired since" });
    flow.answer(null);
    expect(flow.output).toEqual({
      action: "offboard",
      upn: "Ada@contoso.com",
      status: "stale",
      reason: "rehired since",
      refused: true,
    });
  });

  it("names the ticket by the source key when the request has no ticket id", () => {
    const { ticketId: _t, ...noTicket } = inputOf("onboard", { callbackUrl: "https://tickets.contoso.com/hook" });
    const flow = driver(noTicket);
    walk(flow, [{}, issued, planned, collected, null]);
    expect(flow.call.input).toMatchObject({ input: { ticketId: "INC0001", payload: { ticketId: "INC0001" } } });
  });

  it("takes the cause from under every framework prefix, and only from the start", () => {
    const flow = driver(inputOf("onboard"));
    flow.answer({});
    flow.fail(
      new Error(
        "Orchestrator function 'issueClientCertificate' failed: Orchestrator function 'inner' failed: vault down",
      ),
    );
    expect(flow.call.input).toMatchObject({ reason: "vault down" });
    const other = driver(inputOf("onboard"));
    other.answer({});
    other.fail(new Error("step 2: Orchestrator function 'x' failed: y"));
    expect(other.call.input).toMatchObject({ reason: "step 2: Orchestrator function 'x' failed: y" });
  });
});
