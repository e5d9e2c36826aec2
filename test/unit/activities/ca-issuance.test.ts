// The issuance activities against an in-memory ledger and stubbed Key Vault CA calls: what each records, audits and
// passes on, and how a revocation that raced with issuance wins.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
jest.mock("../../../src/clients/key-vault-ca", () => ({
  ...jest.requireActual<typeof import("../../../src/clients/key-vault-ca")>("../../../src/clients/key-vault-ca"),
  beginClientCertificate: jest.fn(),
  signClientCertificate: jest.fn(),
  completeClientCertificate: jest.fn(),
}));

import "../../../src/activities/ca-issuance";
import {
  CaStateError,
  beginClientCertificate,
  completeClientCertificate,
  signClientCertificate,
} from "../../../src/clients/key-vault-ca";
import type { CertificateRecord } from "../../../src/domain/ledger";
import type { IssuanceRequest } from "../../../src/domain/issuance";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { fakeServices } from "./activity-fakes";
import type { FakeServices } from "./activity-fakes";

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0);
const request: IssuanceRequest = {
  upn: "Ada.Lovelace@Contoso.com",
  requestId: "req-42",
  source: "ticket",
  sourceId: "T-1",
  actor: "helpdesk@contoso.com",
  certificateNamePrefix: "p2s-user",
  requestedAt: "2030-01-01T00:00:00.000Z",
};
const userKey = "ada.lovelace@contoso.com";
const certificateName = "p2s-user-ada-req-42";
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

const invoker = new FakeInvoker();
let fake: FakeServices;

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

function issuing(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    userKey,
    upn: request.upn,
    certificateName,
    status: "issuing",
    requestId: request.requestId,
    source: "ticket",
    sourceId: "T-1",
    requestedAt: new Date(request.requestedAt),
    updatedAt: new Date(request.requestedAt),
    ...overrides,
  };
}

beforeEach(() => {
  jest.useFakeTimers({ now: NOW, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  fake = fakeServices();
  mockServices = fake;
  jest.mocked(beginClientCertificate).mockReset();
  jest.mocked(signClientCertificate).mockReset();
  jest.mocked(completeClientCertificate).mockReset();
});

afterEach(() => {
  jest.useRealTimers();
});

describe("recordIssuing", () => {
  it("records the request as issuing under the lower-cased UPN and audits it", async () => {
    await expect(invoke("recordIssuing", { request, certificateName })).resolves.toBeNull();
    expect(fake.ledger.puts).toEqual([
      {
        userKey,
        upn: request.upn,
        certificateName,
        status: "issuing",
        requestId: "req-42",
        source: "ticket",
        sourceId: "T-1",
        requestedAt: new Date(request.requestedAt),
        updatedAt: new Date(NOW),
      },
    ]);
    expect(fake.ledger.audit).toEqual([
      {
        id: "req-42:requested",
        at: new Date(NOW),
        actor: "helpdesk@contoso.com",
        action: "certificate.requested",
        subject: userKey,
        reason: "T-1",
        source: "ticket",
        requestId: "req-42",
        details: { certificateName },
      },
    ]);
    expect(fake.ledger.hires).toEqual([]);
  });

  it("leaves an existing record alone on a retry (it may be active or revoked by now) but audits again", async () => {
    const existing = issuing({ status: "revoked" });
    await fake.ledger.putCertificate(existing);
    fake.ledger.puts.length = 0;
    await invoke("recordIssuing", { request, certificateName });
    expect(fake.ledger.puts).toEqual([]);
    expect(fake.ledger.certificates.get(`${userKey}/${certificateName}`)).toBe(existing);
    expect(fake.ledger.audit.map((a) => a.id)).toEqual(["req-42:requested"]);
  });

  it("records a rehire at its effective time", async () => {
    const rehire = { ...request, rehire: true, effectiveAt: "2030-01-01T09:00:00.000Z" };
    await invoke("recordIssuing", { request: rehire, certificateName });
    expect(fake.ledger.hires).toEqual([
      { userKey, hiredAt: new Date("2030-01-01T09:00:00.000Z"), requestId: "req-42" },
    ]);
  });

  it("records a rehire without an effective time at the time the request was accepted", async () => {
    await invoke("recordIssuing", { request: { ...request, rehire: true }, certificateName });
    expect(fake.ledger.hires).toEqual([{ userKey, hiredAt: new Date(request.requestedAt), requestId: "req-42" }]);
  });

  it("records no rehire unless the request says so", async () => {
    await invoke("recordIssuing", {
      request: { ...request, rehire: false, effectiveAt: "2030-01-01T09:00:00.000Z" },
      certificateName,
    });
    expect(fake.ledger.hires).toEqual([]);
  });

  it("refuses an invalid UPN before touching the ledger", async () => {
    await expect(
      invoke("recordIssuing", { request: { ...request, upn: "no-at-sign" }, certificateName }),
    ).rejects.toThrow(/UPN/);
    expect(fake.ledger.puts).toEqual([]);
    expect(fake.ledger.audit).toEqual([]);
  });
});

describe("the Key Vault CA steps", () => {
  it("beginCertificate asks Key Vault for the user's key and CSR, tagged with the user, request and root", async () => {
    jest.mocked(beginClientCertificate).mockResolvedValue({ state: "pending", csrBase64: "Q1NS" });
    await expect(
      invoke("beginCertificate", { request, certificateName, rootThumbprint: root.thumbprint }),
    ).resolves.toEqual({ terminal: false, value: { state: "pending", csrBase64: "Q1NS" } });
    expect(beginClientCertificate).toHaveBeenCalledWith(fake.keyVault, fake.config, certificateName, request.upn, {
      upn: userKey,
      requestId: "req-42",
      rootThumbprint: root.thumbprint,
    });
  });

  it("beginCertificate returns a terminal Key Vault state as an outcome, not an error", async () => {
    jest.mocked(beginClientCertificate).mockRejectedValue(new CaStateError("x is soft-deleted", { terminal: true }));
    await expect(
      invoke("beginCertificate", { request, certificateName, rootThumbprint: root.thumbprint }),
    ).resolves.toEqual({ terminal: true, error: "CaStateError", message: "x is soft-deleted" });
  });

  it("beginCertificate returns an invalid UPN as a terminal outcome", async () => {
    await expect(
      invoke("beginCertificate", { request: { ...request, upn: "bad" }, certificateName, rootThumbprint: "AA" }),
    ).resolves.toMatchObject({ terminal: true, error: "InvalidUpnError" });
    expect(beginClientCertificate).not.toHaveBeenCalled();
  });

  it("signCertificate has the CA sign the CSR now and returns the certificate as base64 DER", async () => {
    jest.mocked(signClientCertificate).mockResolvedValue(new Uint8Array([1, 2, 3, 250]));
    await expect(invoke("signCertificate", { upn: request.upn, csrBase64: "Q1NS", root })).resolves.toEqual({
      terminal: false,
      value: { certificateBase64: Buffer.from([1, 2, 3, 250]).toString("base64") },
    });
    expect(signClientCertificate).toHaveBeenCalledWith(
      fake.keyVault,
      fake.config,
      root,
      "Q1NS",
      request.upn,
      new Date(NOW),
    );
  });

  it("signCertificate returns an invalid UPN as a terminal outcome without signing", async () => {
    await expect(invoke("signCertificate", { upn: "x,CN=y@z.com", csrBase64: "Q1NS", root })).resolves.toMatchObject({
      terminal: true,
      error: "InvalidUpnError",
    });
    expect(signClientCertificate).not.toHaveBeenCalled();
  });

  it("completeCertificate merges the decoded certificate with the root into the pending operation", async () => {
    jest.mocked(completeClientCertificate).mockResolvedValue(certificate);
    await expect(
      invoke("completeCertificate", { certificateName, certificateBase64: "AQID+g==", root }),
    ).resolves.toEqual({ terminal: false, value: certificate });
    expect(completeClientCertificate).toHaveBeenCalledWith(
      fake.keyVault,
      certificateName,
      new Uint8Array([1, 2, 3, 250]),
      root,
    );
  });

  it("passes other errors on, for the durable retry", async () => {
    jest.mocked(completeClientCertificate).mockRejectedValue(new Error("503 Service Unavailable"));
    await expect(invoke("completeCertificate", { certificateName, certificateBase64: "AQID", root })).rejects.toThrow(
      "503 Service Unavailable",
    );
  });
});

describe("recordIssued", () => {
  const input = { request, certificateName, certificate, rootThumbprint: root.thumbprint };

  it("makes the record active with the certificate's public facts and audits the issuance", async () => {
    await fake.ledger.putCertificate(issuing());
    await expect(invoke("recordIssued", input)).resolves.toEqual({ status: "active" });
    expect(fake.ledger.certificates.get(`${userKey}/${certificateName}`)).toEqual({
      userKey,
      upn: request.upn,
      certificateName,
      status: "active",
      requestId: "req-42",
      source: "ticket",
      sourceId: "T-1",
      thumbprint: certificate.thumbprint,
      serialNumber: certificate.serialNumber,
      rootThumbprint: root.thumbprint,
      notBefore: new Date(certificate.notBefore),
      notAfter: new Date(certificate.notAfter),
      requestedAt: new Date(request.requestedAt),
      updatedAt: new Date(NOW),
    });
    expect(fake.ledger.audit).toEqual([
      {
        id: "req-42:issued",
        at: new Date(NOW),
        actor: "helpdesk@contoso.com",
        action: "certificate.issued",
        subject: userKey,
        reason: "T-1",
        source: "ticket",
        requestId: "req-42",
        details: {
          certificateName,
          thumbprint: certificate.thumbprint,
          notAfter: certificate.notAfter,
          status: "active",
        },
      },
    ]);
  });

  it("keeps a self-service certificate's PEM in the record, the only place it lives (Key Vault holds a key's)", async () => {
    await fake.ledger.putCertificate(issuing());
    const device = { ...input, request: { ...request, csrPem: "-----BEGIN CERTIFICATE REQUEST-----" } };
    await expect(invoke("recordIssued", device)).resolves.toEqual({ status: "active" });
    expect(fake.ledger.certificates.get(`${userKey}/${certificateName}`)?.certificatePem).toBe(
      certificate.certificatePem,
    );
  });

  it("keeps a record an offboarding revoked meanwhile revoked, now with the thumbprint", async () => {
    const revokedAt = new Date(Date.UTC(2030, 0, 2));
    await fake.ledger.putCertificate(issuing({ status: "revoked", revokedAt, revocationReason: "left" }));
    fake.ledger.standing = {
      offboarding: { userKey, offboardedAt: revokedAt, requestId: "off-1", reason: "left" },
    };
    await expect(invoke("recordIssued", input)).resolves.toEqual({ status: "revoked" });
    expect(fake.ledger.certificates.get(`${userKey}/${certificateName}`)).toMatchObject({
      status: "revoked",
      revokedAt,
      revocationReason: "left",
      thumbprint: certificate.thumbprint,
    });
    // The offboarding audited its own revocation: no second, late one.
    expect(fake.ledger.audit.map((a) => a.id)).toEqual(["req-42:issued"]);
    expect(fake.ledger.audit[0]?.details).toMatchObject({ status: "revoked" });
  });

  it.each([
    ["still issuing", () => issuing()],
    ["missing (the offboarding came before the request reached the ledger)", () => undefined],
  ])(
    "revokes a certificate whose record is %s when the user stands offboarded, and audits it as late",
    async (_what, record) => {
      const existing = record();
      if (existing !== undefined) await fake.ledger.putCertificate(existing);
      fake.ledger.standing = {
        offboarding: { userKey, offboardedAt: new Date(Date.UTC(2030, 0, 1, 6)), requestId: "off-1", reason: "left" },
      };
      await expect(invoke("recordIssued", input)).resolves.toEqual({ status: "revoked" });
      expect(fake.ledger.certificates.get(`${userKey}/${certificateName}`)).toMatchObject({
        status: "revoked",
        revokedAt: new Date(NOW),
        revocationReason: "offboarded (off-1) while the certificate was issued",
        thumbprint: certificate.thumbprint,
        updatedAt: new Date(NOW),
      });
      expect(fake.ledger.audit[0]).toMatchObject({ id: "req-42:issued", details: { status: "revoked" } });
      expect(fake.ledger.audit.slice(1)).toEqual([
        {
          id: `off-1:revoked:${certificateName}`,
          at: new Date(NOW),
          actor: "issueClientCertificate",
          action: "certificate.revoked",
          subject: userKey,
          reason: "left",
          source: "ticket",
          requestId: "off-1",
          details: { certificateName, thumbprint: certificate.thumbprint, late: true },
        },
      ]);
    },
  );

  it("issues normally to a user rehired after their offboarding", async () => {
    await fake.ledger.putCertificate(issuing());
    fake.ledger.standing = {
      offboarding: { userKey, offboardedAt: new Date(Date.UTC(2029, 0, 1)), requestId: "off-1", reason: "left" },
      hire: { userKey, hiredAt: new Date(Date.UTC(2029, 6, 1)), requestId: "hire-1" },
    };
    await expect(invoke("recordIssued", input)).resolves.toEqual({ status: "active" });
    const stored = fake.ledger.certificates.get(`${userKey}/${certificateName}`);
    expect(stored?.revokedAt).toBeUndefined();
    expect(stored?.revocationReason).toBeUndefined();
    expect(fake.ledger.audit.map((a) => a.id)).toEqual(["req-42:issued"]);
  });
});
