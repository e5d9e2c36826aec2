// The issuance orchestration, step by step: which activity it calls with what, under which retry policy, what it
// returns, and how it ends when a step fails or the user was offboarded while the certificate was being made.
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
import { assertUpn, keyVaultCertificateName } from "../../../src/domain/upn";
import { OrchestrationDriver } from "./orchestration-driver";

/** The alert key an orchestration gives one raise (see failureKey in src/orchestrations/fail-loudly.ts). */
const FAILURE_KEY: unknown = expect.stringMatching(/^failure:/);

const request: IssuanceRequest = {
  upn: "Ada.Lovelace@contoso.com",
  requestId: "req-42",
  source: "ticket",
  sourceId: "T-1",
  actor: "helpdesk@contoso.com",
  certificateNamePrefix: "p2s-test",
  requestedAt: "2030-01-01T00:00:00.000Z",
};
const certificateName = keyVaultCertificateName(assertUpn(request.upn), request.requestId, "p2s-test");
const RETRY = {
  firstRetryIntervalInMilliseconds: 5000,
  maxNumberOfAttempts: 5,
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 60_000,
};
const root = {
  name: "p2s-root",
  subject: "CN=P2S Root",
  thumbprint: "AB".repeat(20),
  serialNumber: "01",
  notBefore: "2030-01-01T00:00:00.000Z",
  notAfter: "2040-01-01T00:00:00.000Z",
  publicCertData: "MIIB",
  keyId: "https://vault/keys/p2s-root/v1",
};
const certificate = {
  certificateName,
  thumbprint: "CD".repeat(20),
  serialNumber: "0badc0de",
  notBefore: "2029-12-31T23:55:00.000Z",
  notAfter: "2030-06-30T00:00:00.000Z",
  certificatePem: "-----BEGIN CERTIFICATE-----",
};
const ok = (value: unknown) => ({ terminal: false, value });

/** Starts the orchestration and answers its first step, the per-user cap check, with "under the cap". */
function afterCap(input: IssuanceRequest = request): OrchestrationDriver {
  return new OrchestrationDriver(issueClientCertificate, input).answer(GATE_OFF).answer(ok(null));
}

/** The VPN group gate's answer when ENTRA_VPN_GROUP_ID is unset. */
const GATE_OFF = { allowed: true, checked: false };

/** Runs the orchestration up to the recordIssued step, through the sign and merge path. */
function upToRecordIssued(): OrchestrationDriver {
  return afterCap()
    .answer(null)
    .answer(ok(root))
    .answer(ok({ state: "pending", csrBase64: "Q1NS" }))
    .answer(ok({ certificateBase64: "Q0VSVA==" }))
    .answer(ok(certificate));
}

describe("issueClientCertificate", () => {
  it("checks the cap, records the request, ensures the root, has the CSR signed and merged, then records it", () => {
    const flow = new OrchestrationDriver(issueClientCertificate, request);
    const named = { request, certificateName };
    expect(flow.call).toEqual({ functionName: "checkVpnGroup", input: { upn: request.upn }, retry: RETRY });
    flow.answer(GATE_OFF);
    expect(flow.call).toEqual({ functionName: "checkCertificateCap", input: named, retry: RETRY });
    flow.answer(ok(null));
    expect(flow.call).toEqual({ functionName: "recordIssuing", input: named, retry: RETRY });
    flow.answer(null);
    expect(flow.call).toEqual({ functionName: "ensureRoot", input: { actor: request.actor }, retry: RETRY });
    flow.answer(ok(root));
    expect(flow.call).toEqual({
      functionName: "beginCertificate",
      input: { ...named, rootThumbprint: root.thumbprint },
      retry: RETRY,
    });
    flow.answer(ok({ state: "pending", csrBase64: "Q1NS" }));
    expect(flow.call).toEqual({
      functionName: "signCertificate",
      input: { upn: request.upn, csrBase64: "Q1NS", root },
      retry: RETRY,
    });
    flow.answer(ok({ certificateBase64: "Q0VSVA==" }));
    expect(flow.call).toEqual({
      functionName: "completeCertificate",
      input: { certificateName, certificateBase64: "Q0VSVA==", root },
      retry: RETRY,
    });
    flow.answer(ok(certificate));
    expect(flow.call).toEqual({
      functionName: "recordIssued",
      input: { ...named, certificate, rootThumbprint: root.thumbprint },
      retry: RETRY,
    });
    flow.answer({ status: "active" });
    expect(flow.output).toEqual({
      upn: request.upn,
      status: "active",
      certificateName,
      thumbprint: certificate.thumbprint,
      serialNumber: certificate.serialNumber,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
    });
  });

  it("names the certificate after the UPN, the request and the configured prefix", () => {
    const flow = afterCap();
    expect(certificateName.startsWith("p2s-test-")).toBe(true);
    expect((flow.call.input as { certificateName: string }).certificateName).toBe(certificateName);
  });

  it("skips signing and merging when Key Vault already holds the issued certificate", () => {
    const flow = afterCap()
      .answer(null)
      .answer(ok(root))
      .answer(ok({ state: "issued", certificate }));
    expect(flow.call).toEqual({
      functionName: "recordIssued",
      input: { request, certificateName, certificate, rootThumbprint: root.thumbprint },
      retry: RETRY,
    });
    flow.answer({ status: "active" });
    expect(flow.output).toMatchObject({ status: "active", thumbprint: certificate.thumbprint });
  });

  it("disables the certificate and wakes the gateway writers when the user was offboarded meanwhile", () => {
    const flow = upToRecordIssued().answer({ status: "revoked" });
    expect(flow.call).toEqual({
      functionName: "disableCertificates",
      input: { certificateNames: [certificateName] },
      retry: RETRY,
    });
    flow.answer(1);
    expect(flow.call).toEqual({
      functionName: "wakeGatewayWriters",
      input: { reason: "revoked while issuing req-42" },
      retry: RETRY,
    });
    flow.answer([]);
    expect(flow.output).toMatchObject({ upn: request.upn, status: "revoked", certificateName });
    // The request's steps, as GET /api/v1/requests/{id} shows them.
    expect(flow.customStatuses.slice(-3)).toEqual(["activating", "revoking", "done"]);
  });

  it("raises a critical alert, then fails with the cause, when the late revocation cannot be applied", () => {
    const flow = upToRecordIssued().answer({ status: "revoked" }).answer(1);
    const cause = new Error("Activity function 'wakeGatewayWriters' failed: no writer\n    at stack line");
    flow.fail(cause);
    expect(flow.call).toEqual({
      functionName: "raiseAlert",
      input: {
        severity: "critical",
        title: `Revocation of ${request.upn}'s certificate ${certificateName} failed (request req-42)`,
        detail:
          "Activity function 'wakeGatewayWriters' failed: no writer; the ledger has it revoked, but Key Vault may " +
          "still have it enabled or the gateways not yet know it",
        subject: request.upn,
        key: FAILURE_KEY,
      },
      retry: RETRY,
    });
    expect(() => flow.answer("sent")).toThrow(cause);
  });

  it("names the alert's own failure in the error it ends with", () => {
    const flow = upToRecordIssued().answer({ status: "revoked" });
    flow.fail(new Error("Key Vault said no"));
    expect(flow.call.functionName).toBe("raiseAlert");
    expect(() => flow.fail(new Error("webhook answered 500"))).toThrow(
      new Error("Key Vault said no; the alert could not be sent: webhook answered 500"),
    );
  });

  it("fails at once, naming the activity, when a CA step returns a terminal outcome", () => {
    const flow = afterCap().answer(null).answer(ok(root));
    expect(() =>
      flow.answer({ terminal: true, error: "CaStateError", message: `${certificateName} is soft-deleted` }),
    ).toThrow(new TerminalIssuanceError(`beginCertificate: CaStateError: ${certificateName} is soft-deleted`));
  });

  it("refuses an invalid UPN before scheduling anything", () => {
    expect(() => new OrchestrationDriver(issueClientCertificate, { ...request, upn: "a,O=x@contoso.com" })).toThrow(
      /UPN/,
    );
  });

  it("does not alert when an ordinary step fails: the instance fails with the activity's error", () => {
    const flow = afterCap().answer(null);
    const error = new Error("Activity function 'ensureRoot' failed: throttled");
    expect(() => flow.fail(error)).toThrow(error);
  });

  describe("device key (self-service CSR)", () => {
    const csrPem = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";
    const selfService: IssuanceRequest = { ...request, source: "self-service", csrPem };
    const named = { request: selfService, certificateName };
    const device = { ...certificate, chainPem: "-----BEGIN CERTIFICATE-----ROOT" };

    it("has the root sign the device's CSR, creates nothing in Key Vault, records it and returns the PEMs", () => {
      const flow = afterCap(selfService);
      expect(flow.call).toEqual({ functionName: "recordIssuing", input: named, retry: RETRY });
      flow.answer(null).answer(ok(root));
      expect(flow.call).toEqual({
        functionName: "signDeviceCertificate",
        input: { certificateName, upn: request.upn, csrPem, root },
        retry: RETRY,
      });
      flow.answer(ok(device));
      expect(flow.call).toEqual({
        functionName: "recordIssued",
        input: { ...named, certificate: device, rootThumbprint: root.thumbprint },
        retry: RETRY,
      });
      flow.answer({ status: "active" });
      expect(flow.output).toEqual({
        upn: request.upn,
        status: "active",
        certificateName,
        thumbprint: device.thumbprint,
        serialNumber: device.serialNumber,
        notBefore: device.notBefore,
        notAfter: device.notAfter,
        certificatePem: device.certificatePem,
        chainPem: device.chainPem,
      });
      expect(flow.customStatuses.slice(-4)).toEqual(["ensuring-root", "signing", "activating", "done"]);
    });

    it("fails at once when the CA refuses the CSR", () => {
      const flow = afterCap(selfService).answer(null).answer(ok(root));
      expect(() =>
        flow.answer({
          terminal: true,
          error: "CertificateRequestRejectedError",
          message: "CSR signature does not verify",
        }),
      ).toThrow(
        new TerminalIssuanceError(
          "signDeviceCertificate: CertificateRequestRejectedError: CSR signature does not verify",
        ),
      );
    });

    it("still revokes at once when the user was offboarded meanwhile", () => {
      const flow = afterCap(selfService).answer(null).answer(ok(root)).answer(ok(device)).answer({ status: "revoked" });
      expect(flow.call.functionName).toBe("disableCertificates");
      flow.answer(0).answer([]);
      expect(flow.output).toMatchObject({ status: "revoked", thumbprint: device.thumbprint });
    });
  });

  it("ends at once, before anything is recorded or created, when the user is at the cap", () => {
    const flow = new OrchestrationDriver(issueClientCertificate, request).answer(GATE_OFF);
    expect(() => flow.answer({ terminal: true, error: "CertificateCapReached", message: "the cap is 3" })).toThrow(
      new TerminalIssuanceError("checkCertificateCap: CertificateCapReached: the cap is 3"),
    );
  });
});
