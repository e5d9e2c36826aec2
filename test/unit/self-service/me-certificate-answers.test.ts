// How POST /api/v1/me/certificates answers from the issuance instance: 201 with the PEMs, the refusal it ended with,
// or 202 with the request when the bounded wait runs out. Never a durable URL, never a stack line.
import type { DurableClient } from "durable-functions";
import { awaitIssuance, issuanceAnswer } from "../../../src/functions/me-certificate-answers";

const done = {
  upn: "alice@contoso.com",
  status: "active",
  certificateName: "p2s-user-abc",
  thumbprint: "AB".repeat(20),
  serialNumber: "01",
  notBefore: "2030-01-01T00:00:00.000Z",
  notAfter: "2030-06-30T00:00:00.000Z",
  certificatePem: "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n",
  chainPem: "-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n",
};

function fakeClient(statuses: { runtimeStatus: string; output: unknown }[]): DurableClient {
  let call = 0;
  return {
    getStatus: () => {
      const status = statuses[Math.min(call, statuses.length - 1)];
      call += 1;
      return Promise.resolve(status);
    },
  } as unknown as DurableClient;
}

describe("issuanceAnswer", () => {
  it("answers 201 with exactly the thumbprint, notAfter and the PEMs", () => {
    expect(issuanceAnswer("Completed", done)).toEqual({
      status: 201,
      jsonBody: {
        thumbprint: done.thumbprint,
        notAfter: done.notAfter,
        certificatePem: done.certificatePem,
        chainPem: done.chainPem,
      },
    });
  });

  it("answers 409 for a certificate revoked because the user was offboarded meanwhile", () => {
    expect(issuanceAnswer("Completed", { ...done, status: "revoked" })?.status).toBe(409);
  });

  it("maps the failures: the cap to 409, a refused CSR to 400, anything else to 409 with its first line only", () => {
    const cap = issuanceAnswer(
      "Failed",
      "Orchestrator function 'issueClientCertificate' failed: checkCertificateCap: CertificateCapReached: the cap is 3\n    at x",
    );
    expect(cap?.status).toBe(409);
    expect(cap?.jsonBody).toMatchObject({
      title: "Certificate cap reached",
      detail: expect.stringMatching(/^checkCertificateCap/) as unknown,
    });
    const csr = issuanceAnswer(
      "Failed",
      "signDeviceCertificate: CertificateRequestRejectedError: CSR signature does not verify",
    );
    expect(csr?.status).toBe(400);
    const gate = issuanceAnswer(
      "Failed",
      "Orchestrator function 'issueClientCertificate' failed: refused: not-a-member: mallory@contoso.com is not in the VPN group",
    );
    expect(gate?.status).toBe(403);
    expect(
      issuanceAnswer("Failed", "TerminalIssuanceError: refused: disabled: dave@contoso.com is disabled")?.status,
    ).toBe(403);
    const other = issuanceAnswer("Failed", "Orchestrator function 'x' failed: user not in the VPN group\n    at stack");
    expect(other?.status).toBe(409);
    expect(JSON.stringify(other?.jsonBody)).not.toMatch(/stack|Orchestrator function/);
  });

  it("says nothing while the instance runs", () => {
    expect(issuanceAnswer("Running", null)).toBeUndefined();
    expect(issuanceAnswer("Pending", null)).toBeUndefined();
  });
});

describe("awaitIssuance", () => {
  it("answers 201 once the instance completes within the wait", async () => {
    const client = fakeClient([
      { runtimeStatus: "Running", output: null },
      { runtimeStatus: "Completed", output: done },
    ]);
    const pending = jest.fn(() => Promise.resolve({ status: 202 }));
    expect((await awaitIssuance(client, "issue-p2s-user-abc", 5_000, pending)).status).toBe(201);
    expect(pending).not.toHaveBeenCalled();
  });

  it("answers with the request to follow when the wait runs out", async () => {
    const client = fakeClient([{ runtimeStatus: "Running", output: null }]);
    const pending = jest.fn(() => Promise.resolve({ status: 202, jsonBody: { requestId: "r1" } }));
    const answer = await awaitIssuance(client, "issue-p2s-user-abc", 0, pending);
    expect(answer).toEqual({ status: 202, jsonBody: { requestId: "r1" } });
    expect(pending).toHaveBeenCalledTimes(1);
  });
});
