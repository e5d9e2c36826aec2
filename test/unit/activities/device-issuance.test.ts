// checkCertificateCap through the fake invoker against the in-memory ledger: an issuance at the cap is refused as a
// terminal outcome and audited once per request; under the cap, or a retry of an issuance already recorded, it goes on.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));

import { CAP_REACHED } from "../../../src/activities/device-issuance";
import type { IssuanceRequest } from "../../../src/domain/issuance";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { FakeLedger } from "./activity-fakes";

const invoker = new FakeInvoker();
let ledger: FakeLedger;

const request: IssuanceRequest = {
  upn: "Ada@Contoso.com",
  requestId: "REQ-7",
  source: "self-service",
  sourceId: "device-1",
  actor: "ada@contoso.com",
  certificateNamePrefix: "p2s-dev",
  requestedAt: "2030-01-01T00:00:00.000Z",
};

function held(name: string, userKey = "ada@contoso.com"): CertificateRecord {
  return {
    userKey,
    upn: userKey,
    certificateName: name,
    status: "active",
    requestId: name,
    source: "api",
    sourceId: name,
    updatedAt: new Date(),
    notAfter: new Date(Date.now() + 30 * 24 * 60 * 60 * 1000),
  };
}

const check = async (certificateName: string): Promise<unknown> =>
  (await invoker.invoke("checkCertificateCap", { request, certificateName })).returnValue;

beforeEach(() => {
  ledger = new FakeLedger();
  mockServices = { config: { MAX_ACTIVE_CERTIFICATES_PER_USER: 2 }, ledger };
});

describe("checkCertificateCap", () => {
  it("lets an issuance under the cap go on, counting only the user's own certificates, and audits nothing", async () => {
    await ledger.putCertificate(held("p2s-dev-1"));
    await ledger.putCertificate(held("p2s-bob-1", "bob@contoso.com"));
    await ledger.putCertificate(held("p2s-bob-2", "bob@contoso.com"));
    expect(await check("p2s-dev-new")).toEqual({ terminal: false, value: null });
    expect(ledger.audit).toEqual([]);
  });

  it("refuses at the cap as a terminal CertificateCapReached, audited with the certificate and the cap", async () => {
    await ledger.putCertificate(held("p2s-dev-1"));
    await ledger.putCertificate(held("p2s-dev-2"));
    const outcome = await check("p2s-dev-new");
    const message =
      "the user already holds 2 certificate(s), the cap is 2 (MAX_ACTIVE_CERTIFICATES_PER_USER): revoke one first";
    expect(outcome).toEqual({ terminal: true, error: CAP_REACHED, message });
    expect(CAP_REACHED).toBe("CertificateCapReached");
    expect(ledger.audit).toHaveLength(1);
    expect(ledger.audit[0]).toEqual({
      id: "REQ-7:refused:cap",
      at: expect.any(Date) as unknown,
      actor: "ada@contoso.com",
      action: "certificate.refused",
      subject: "ada@contoso.com",
      reason: message,
      source: "self-service",
      requestId: "REQ-7",
      details: { certificateName: "p2s-dev-new", cap: 2 },
    });
  });

  it("lets a retry of an issuance already recorded go on at the cap", async () => {
    await ledger.putCertificate(held("p2s-dev-1"));
    await ledger.putCertificate(held("p2s-dev-2"));
    expect(await check("p2s-dev-2")).toEqual({ terminal: false, value: null });
    expect(ledger.audit).toEqual([]);
  });
});
