// The VPN group gate as the issuance's first step: an allowed user goes on to the ledger and Key Vault; a refused one
// is audited and the issuance ends with the reason, before any record or certificate is made.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { TerminalIssuanceError } from "../../../src/activities/ca-outcome";
import { issueClientCertificate } from "../../../src/orchestrations/issue-certificate";
import type { IssuanceRequest } from "../../../src/domain/issuance";
import type { VpnGateDecision, VpnGateRefusal } from "../../../src/domain/vpn-group-gate";
import { OrchestrationDriver } from "./orchestration-driver";

const request: IssuanceRequest = {
  upn: "mallory@contoso.com",
  requestId: "req-7",
  source: "api",
  sourceId: "INC7",
  actor: "helpdesk@contoso.com",
  certificateNamePrefix: "p2s-test",
  requestedAt: "2030-01-01T00:00:00.000Z",
};
const RETRY = {
  firstRetryIntervalInMilliseconds: 5000,
  maxNumberOfAttempts: 5,
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 60_000,
};

describe("issueClientCertificate: the VPN group gate", () => {
  it("checks the user against the VPN group first, retried as the other steps (Graph throttling)", () => {
    const flow = new OrchestrationDriver(issueClientCertificate, request);
    expect(flow.call).toEqual({ functionName: "checkVpnGroup", input: { upn: request.upn }, retry: RETRY });
  });

  it("goes on to the cap check, then records the request, when the user is an enabled member", () => {
    const allowed: VpnGateDecision = { allowed: true, checked: true, userId: "0000-user" };
    const flow = new OrchestrationDriver(issueClientCertificate, request).answer(allowed);
    expect(flow.call.functionName).toBe("checkCertificateCap");
    flow.answer({ terminal: false, value: null });
    expect(flow.call.functionName).toBe("recordIssuing");
  });

  it.each<[VpnGateRefusal, string]>([
    ["notInGroup", "mallory@contoso.com is not a member of the VPN group g"],
    ["accountDisabled", "mallory@contoso.com's account is disabled in the directory"],
    ["userNotFound", "mallory@contoso.com does not exist in the directory"],
  ])("audits the %s refusal and fails with its reason before anything is recorded or created", (refusal, message) => {
    const flow = new OrchestrationDriver(issueClientCertificate, request).answer({ allowed: false, refusal, message });
    expect(flow.call).toEqual({
      functionName: "recordIssuanceRefused",
      input: { request, refusal, message },
      retry: RETRY,
    });
    expect(() => flow.answer(null)).toThrow(new TerminalIssuanceError(`refused: ${refusal}: ${message}`));
  });

  it("fails with the Graph error when the check ran out of retries, without auditing a refusal", () => {
    const flow = new OrchestrationDriver(issueClientCertificate, request);
    const error = new Error("Activity function 'checkVpnGroup' failed: Graph still throttled (429)");
    expect(() => flow.fail(error)).toThrow(error);
  });
});
