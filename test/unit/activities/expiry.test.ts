// expiryCheck's activities through the fake invoker: the scan gets the orchestration's instant and the clients it
// reads; expireCertificates marks expired only active and superseded entries whose end has come (at that instant),
// counting only what it wrote and passing over an entry revoked meanwhile; the capacity line goes to the alert table.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
const mockScan = jest.fn();
jest.mock("../../../src/clients/expiry-scan", () => ({
  scanExpiry: (...args: unknown[]): unknown => mockScan(...args),
}));
const mockTrack = jest.fn();
jest.mock("../../../src/activities/alert", () => ({
  alertTable: () => ({ trackCapacity: (...args: unknown[]): unknown => mockTrack(...args) }),
}));

import "../../../src/activities/expiry";
import { LedgerConflictError } from "../../../src/clients/ledger";
import type { CertificateRecord, CertificateStatus } from "../../../src/domain/ledger";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { FakeLedger } from "./activity-fakes";

const invoker = new FakeInvoker();
const NOW = "2030-03-01T00:00:00.000Z";

/** The fake ledger with a put that can be made to fail for one certificate. */
class ExpiryLedger extends FakeLedger {
  failFor = new Map<string, Error>();

  override putCertificate(record: CertificateRecord): Promise<CertificateRecord> {
    const error = this.failFor.get(record.certificateName);
    if (error !== undefined) return Promise.reject(error);
    return super.putCertificate(record);
  }
}

let ledger: ExpiryLedger;
const clients = { keyVault: { kv: 1 }, gateways: { gw: 1 }, roots: { roots: 1 } };
const config = { C: 1 };

beforeEach(() => {
  ledger = new ExpiryLedger();
  mockServices = { config, ledger, ...clients };
  mockScan.mockReset();
  mockTrack.mockReset();
});

function cert(name: string, status: CertificateStatus, notAfter?: string): CertificateRecord {
  return {
    userKey: "ada@contoso.com",
    upn: "ada@contoso.com",
    certificateName: name,
    status,
    requestId: name,
    source: "api",
    sourceId: name,
    updatedAt: new Date("2029-01-01T00:00:00.000Z"),
    ...(notAfter === undefined ? {} : { notAfter: new Date(notAfter) }),
  };
}

describe("collectExpiry", () => {
  it("scans at the orchestration's instant with the configuration and the clients it reads", async () => {
    mockScan.mockResolvedValue({ renewals: [], expired: 0 });
    expect((await invoker.invoke("collectExpiry", { now: NOW })).returnValue).toEqual({ renewals: [], expired: 0 });
    expect(mockScan).toHaveBeenCalledWith(config, { ledger, ...clients }, new Date(NOW));
  });
});

describe("expireCertificates", () => {
  it("marks expired the active and superseded entries ended by now, updated at now, and counts them", async () => {
    for (const record of [
      cert("a-ended", "active", "2030-02-28T23:59:59.999Z"),
      cert("a-at-now", "active", NOW),
      cert("s-ended", "superseded", "2030-01-01T00:00:00.000Z"),
      cert("a-later", "active", "2030-03-01T00:00:00.001Z"),
      cert("r-ended", "revoked", "2030-01-01T00:00:00.000Z"),
      cert("i-none", "issuing"),
    ]) {
      await ledger.putCertificate(record);
    }
    ledger.puts.length = 0;
    expect((await invoker.invoke("expireCertificates", { now: NOW })).returnValue).toBe(3);
    expect(ledger.puts.map((r) => [r.certificateName, r.status, r.updatedAt.toISOString()])).toEqual([
      ["a-ended", "expired", NOW],
      ["a-at-now", "expired", NOW],
      ["s-ended", "expired", NOW],
    ]);
    expect(ledger.puts[0]).toEqual({
      ...cert("a-ended", "active", "2030-02-28T23:59:59.999Z"),
      status: "expired",
      updatedAt: new Date(NOW),
    });
  });

  it("passes over an entry revoked meanwhile (not counted) and fails on any other error", async () => {
    await ledger.putCertificate(cert("a", "active", "2030-01-01T00:00:00.000Z"));
    await ledger.putCertificate(cert("b", "active", "2030-01-01T00:00:00.000Z"));
    ledger.failFor.set("a", new LedgerConflictError("a is revoked"));
    expect((await invoker.invoke("expireCertificates", { now: NOW })).returnValue).toBe(1);
    expect(invoker.logs.at(-1)).toEqual({
      level: "information",
      message: "expireCertificates: a changed meanwhile: a is revoked",
    });
    await ledger.putCertificate(cert("c", "superseded", "2030-01-01T00:00:00.000Z"));
    ledger.failFor.set("c", new Error("table down"));
    await expect(invoker.invoke("expireCertificates", { now: NOW })).rejects.toThrow("table down");
  });
});

describe("trackRevocationCapacity", () => {
  it("records the gateway's side of the capacity line and answers the crossing number", async () => {
    mockTrack.mockResolvedValue(2);
    expect((await invoker.invoke("trackRevocationCapacity", { gatewayId: "/gw/a", above: true })).returnValue).toBe(2);
    expect(mockTrack).toHaveBeenCalledWith("/gw/a", true);
  });
});
