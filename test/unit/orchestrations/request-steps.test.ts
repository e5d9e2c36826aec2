// The step GET /api/v1/requests/{id} shows: each orchestration names, in its custom status, the step it waits on.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { issueClientCertificate } from "../../../src/orchestrations/issue-certificate";
import { offboardUser } from "../../../src/orchestrations/offboard-user";
import type { IssuanceRequest } from "../../../src/domain/issuance";
import { OrchestrationDriver } from "./orchestration-driver";

const request: IssuanceRequest = {
  upn: "ada@contoso.com",
  requestId: "req-42",
  source: "api",
  sourceId: "T-1",
  actor: "api:function-key",
  certificateNamePrefix: "p2s-test",
  requestedAt: "2030-01-01T00:00:00.000Z",
};
const ok = (value: unknown) => ({ terminal: false, value });
const certificate = {
  thumbprint: "CD".repeat(20),
  serialNumber: "01",
  notBefore: "2030-01-01T00:00:00.000Z",
  notAfter: "2030-06-30T00:00:00.000Z",
};

/** The step named when the orchestrator scheduled each activity. */
function stepsAtCalls(flow: OrchestrationDriver, answers: readonly unknown[]): [string, unknown][] {
  const seen: [string, unknown][] = [];
  for (const answer of answers) {
    seen.push([flow.call.functionName, flow.customStatuses.at(-1)]);
    flow.answer(answer);
  }
  return seen;
}

describe("the steps a request shows", () => {
  it("issuance names each step before its activity, and done at the end", () => {
    const flow = new OrchestrationDriver(issueClientCertificate, request);
    const seen = stepsAtCalls(flow, [
      { allowed: true, checked: false },
      ok(null),
      null,
      ok({ thumbprint: "AB".repeat(20) }),
      ok({ state: "pending", csrBase64: "Q1NS" }),
      ok({ certificateBase64: "Q0VSVA==" }),
      ok(certificate),
      { status: "active" },
    ]);
    expect(seen).toEqual([
      ["checkVpnGroup", "checking-group"],
      ["checkCertificateCap", "checking-cap"],
      ["recordIssuing", "recording"],
      ["ensureRoot", "ensuring-root"],
      ["beginCertificate", "creating-key"],
      ["signCertificate", "signing"],
      ["completeCertificate", "merging"],
      ["recordIssued", "activating"],
    ]);
    expect(flow.done).toBe(true);
    expect(flow.customStatuses.at(-1)).toBe("done");
  });

  it("a failed issuance keeps the step it failed at", () => {
    const flow = new OrchestrationDriver(issueClientCertificate, request)
      .answer({ allowed: true, checked: false })
      .answer(ok(null))
      .answer(null)
      .answer(ok({}));
    expect(() => flow.fail(new Error("vault down"))).toThrow("vault down");
    expect(flow.customStatuses.at(-1)).toBe("creating-key");
  });

  it("offboarding names marking, disabling and syncing, and done at the end", () => {
    const input = { request: { ...request, reason: "left", gatewayIds: [] }, writers: [] };
    const flow = new OrchestrationDriver(offboardUser, input);
    const seen = stepsAtCalls(flow, [{ certificateNames: [], thumbprints: [] }, null]);
    expect(seen).toEqual([
      ["markUserRevoked", "marking-revoked"],
      ["disableCertificates", "disabling-certificates"],
    ]);
    expect(flow.customStatuses).toEqual(["marking-revoked", "disabling-certificates", "syncing-gateways", "done"]);
  });
});
