// The offboarding activities against an in-memory ledger and a stubbed Key Vault and writer starter: what is revoked,
// audited and disabled, which errors are tolerated, and how the writers are asked to run.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
const mockClient = { fake: "durable client" };
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
jest.mock("durable-functions", () =>
  jest
    .requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
    .durableFunctionsStandin(() => mockClient),
);
jest.mock("../../../src/clients/gateway-writer-starter", () => ({
  ...jest.requireActual<typeof import("../../../src/clients/gateway-writer-starter")>(
    "../../../src/clients/gateway-writer-starter",
  ),
  requestAllGatewayWriters: jest.fn(),
  requestGatewayWriter: jest.fn(),
}));

import { RestError } from "@azure/core-rest-pipeline";
import "../../../src/activities/revocation";
import { requestAllGatewayWriters, requestGatewayWriter } from "../../../src/clients/gateway-writer-starter";
import type { CertificateRecord, CertificateStatus } from "../../../src/domain/ledger";
import type { RevocationRequest } from "../../../src/domain/issuance";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { fakeServices } from "./activity-fakes";
import type { FakeServices } from "./activity-fakes";

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0);
const userKey = "leaver@contoso.com";
const request: RevocationRequest = {
  upn: "Leaver@Contoso.com",
  requestId: "off-7",
  reason: "left the company",
  source: "hr",
  sourceId: "HR-9",
  actor: "hr-system",
  effectiveAt: "2030-01-01T17:00:00.000Z",
  gatewayIds: ["/gw/a"],
};

const invoker = new FakeInvoker();
invoker.clientData = () => ({ taskHubName: "TestHub" });
let fake: FakeServices;

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

function record(name: string, status: CertificateStatus, thumbprint?: string, key = userKey): CertificateRecord {
  return {
    userKey: key,
    upn: key,
    certificateName: name,
    status,
    requestId: `req-${name}`,
    source: "api",
    sourceId: "",
    ...(thumbprint === undefined ? {} : { thumbprint }),
    updatedAt: new Date(Date.UTC(2029, 0, 1)),
  };
}

beforeEach(() => {
  jest.useFakeTimers({ now: NOW, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  fake = fakeServices();
  mockServices = fake;
  jest.mocked(requestAllGatewayWriters).mockReset();
  jest.mocked(requestGatewayWriter).mockReset();
});

afterEach(() => {
  jest.useRealTimers();
});

describe("markUserRevoked", () => {
  it("records the offboarding at its effective time, revokes every live certificate and audits each", async () => {
    for (const r of [
      record("issuing-1", "issuing"),
      record("active-1", "active", "AA"),
      record("superseded-1", "superseded", "BB"),
      record("expired-1", "expired", "CC"),
      record("other-user", "active", "DD", "someone@contoso.com"),
    ]) {
      await fake.ledger.putCertificate(r);
    }
    fake.ledger.puts.length = 0;

    await expect(invoke("markUserRevoked", request)).resolves.toEqual({
      certificateNames: ["issuing-1", "active-1", "superseded-1"],
      thumbprints: ["AA", "BB"],
    });
    expect(fake.ledger.offboardings).toEqual([
      { userKey, offboardedAt: new Date("2030-01-01T17:00:00.000Z"), requestId: "off-7", reason: "left the company" },
    ]);
    expect(fake.ledger.puts).toEqual(
      ["issuing-1", "active-1", "superseded-1"].map((name) => ({
        ...fake.ledger.puts.find((p) => p.certificateName === name),
        status: "revoked",
        revokedAt: new Date(NOW),
        revocationReason: "left the company",
        updatedAt: new Date(NOW),
      })),
    );
    expect(fake.ledger.puts.find((p) => p.certificateName === "active-1")).toMatchObject({
      thumbprint: "AA",
      requestId: "req-active-1",
    });
    expect(fake.ledger.certificates.get(`${userKey}/expired-1`)?.status).toBe("expired");
    expect(fake.ledger.audit).toEqual(
      [
        ["issuing-1", ""],
        ["active-1", "AA"],
        ["superseded-1", "BB"],
      ].map(([name, thumbprint]) => ({
        id: `off-7:revoked:${name}`,
        at: new Date(NOW),
        actor: "hr-system",
        action: "certificate.revoked",
        subject: userKey,
        reason: "left the company",
        source: "hr",
        requestId: "off-7",
        details: { certificateName: name, thumbprint },
      })),
    );
  });

  it("names already revoked certificates again (to disable them) and audits them, without rewriting them", async () => {
    const revoked = { ...record("revoked-1", "revoked", "EE"), revokedAt: new Date(Date.UTC(2029, 5, 1)) };
    await fake.ledger.putCertificate(revoked);
    fake.ledger.puts.length = 0;
    await expect(invoke("markUserRevoked", request)).resolves.toEqual({
      certificateNames: ["revoked-1"],
      thumbprints: ["EE"],
    });
    expect(fake.ledger.puts).toEqual([]);
    expect(fake.ledger.audit.map((a) => a.id)).toEqual(["off-7:revoked:revoked-1"]);
  });

  it("records an offboarding without an effective time at the time it runs", async () => {
    const { effectiveAt: _ignored, ...old } = request;
    await expect(invoke("markUserRevoked", old)).resolves.toEqual({ certificateNames: [], thumbprints: [] });
    expect(fake.ledger.offboardings[0]?.offboardedAt).toEqual(new Date(NOW));
  });

  it("refuses an invalid UPN before recording anything", async () => {
    await expect(invoke("markUserRevoked", { ...request, upn: "nobody" })).rejects.toThrow(/UPN/);
    expect(fake.ledger.offboardings).toEqual([]);
  });
});

describe("disableCertificates", () => {
  it("disables each named certificate in Key Vault and counts them", async () => {
    await expect(invoke("disableCertificates", { certificateNames: ["a", "b"] })).resolves.toBe(2);
    expect(fake.keyVault.certificates.updateCertificateProperties.mock.calls).toEqual([
      ["a", "", { enabled: false }],
      ["b", "", { enabled: false }],
    ]);
  });

  it("skips a certificate Key Vault does not have (never created, or gone)", async () => {
    fake.keyVault.certificates.updateCertificateProperties
      .mockRejectedValueOnce(new RestError("not found", { statusCode: 404 }))
      .mockResolvedValueOnce({});
    await expect(invoke("disableCertificates", { certificateNames: ["gone", "b"] })).resolves.toBe(1);
  });

  it.each([
    ["a Key Vault refusal", new RestError("forbidden", { statusCode: 403 })],
    ["a transport failure", Object.assign(new Error("socket hang up"), { statusCode: 404 })],
  ])("fails on %s, for the durable retry", async (_what, error) => {
    fake.keyVault.certificates.updateCertificateProperties.mockRejectedValueOnce(error);
    await expect(invoke("disableCertificates", { certificateNames: ["a"] })).rejects.toThrow(error.message);
  });
});

describe("waking the gateway writers", () => {
  it("wakeGatewayWriters asks every configured writer and returns the outcomes", async () => {
    const outcomes = [{ gatewayId: "/gw/a", result: "signalled" }];
    jest.mocked(requestAllGatewayWriters).mockResolvedValue(outcomes as never);
    await expect(invoke("wakeGatewayWriters", { reason: "revoked while issuing r" })).resolves.toEqual(outcomes);
    expect(requestAllGatewayWriters).toHaveBeenCalledWith(mockClient, fake.config, "revoked while issuing r");
  });

  it("wakeGatewayWriters fails naming every writer it could not reach", async () => {
    jest.mocked(requestAllGatewayWriters).mockResolvedValue([
      { gatewayId: "/sub/gw/a", result: "started" },
      { gatewayId: "/sub/gw/b", error: "conflict" },
    ]);
    await expect(invoke("wakeGatewayWriters", { reason: "r" })).rejects.toThrow(
      "wakeGatewayWriters could not reach every writer: b: conflict",
    );
  });

  it("requestGatewaySync starts or wakes one writer with its settings", async () => {
    jest.mocked(requestGatewayWriter).mockResolvedValue("started");
    const writer = { gatewayId: "/gw/a" };
    await expect(invoke("requestGatewaySync", { writer, reason: "offboarding off-7" })).resolves.toBe("started");
    expect(requestGatewayWriter).toHaveBeenCalledWith(mockClient, writer, "offboarding off-7");
  });
});
