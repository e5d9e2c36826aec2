// The ledger's pure rules: which state changes a certificate may make, which certificates an offboarding revokes,
// which revocations the gateways must hold, and how values become Azure Table keys.
import { auditRowKey, canTransition, isLive, revokedThumbprints, tableKey } from "../../../src/domain/ledger";
import type { CertificateRecord, CertificateStatus } from "../../../src/domain/ledger";

const NOW = new Date("2026-12-06T10:00:00Z");
const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");

function record(n: number, status: CertificateStatus, notAfter?: Date): CertificateRecord {
  return {
    userKey: `user${n}@contoso.com`,
    upn: `user${n}@contoso.com`,
    certificateName: `c${n}`,
    status,
    requestId: `R${n}`,
    source: "api",
    sourceId: `R${n}`,
    thumbprint: tp(n),
    ...(notAfter === undefined ? {} : { notAfter }),
    updatedAt: NOW,
  };
}

describe("canTransition", () => {
  it("allows staying put and the forward moves only", () => {
    const allowed: [CertificateStatus, CertificateStatus][] = [
      ["issuing", "active"],
      ["issuing", "revoked"],
      ["active", "revoked"],
      ["active", "expired"],
      ["active", "superseded"],
      ["superseded", "revoked"],
      ["superseded", "expired"],
      ["revoked", "revoked"],
    ];
    for (const [from, to] of allowed) expect(canTransition(from, to)).toBe(true);
    const refused: [CertificateStatus, CertificateStatus][] = [
      ["issuing", "expired"],
      ["issuing", "superseded"],
      ["active", "issuing"],
      ["superseded", "active"],
      ["revoked", "active"],
      ["revoked", "expired"],
      ["expired", "active"],
      ["expired", "revoked"],
    ];
    for (const [from, to] of refused) expect(canTransition(from, to)).toBe(false);
  });
});

describe("isLive", () => {
  it("is true for a certificate that is or may become usable", () => {
    const live = (["issuing", "active", "superseded", "revoked", "expired"] as const).filter((status) =>
      isLive({ status }),
    );
    expect(live).toEqual(["issuing", "active", "superseded"]);
  });
});

describe("revokedThumbprints", () => {
  it("lists revoked, unexpired certificates once each, sorted; a revocation without notAfter stays", () => {
    const { thumbprint: _none, ...noThumbprint } = record(9, "revoked");
    const records = [
      record(3, "revoked", new Date(NOW.getTime() + 1000)),
      record(1, "revoked"),
      record(1, "revoked"),
      record(2, "revoked", NOW),
      record(4, "active", new Date(NOW.getTime() + 1000)),
      record(5, "superseded"),
      noThumbprint,
    ];
    expect(revokedThumbprints(records, NOW)).toEqual([tp(1), tp(3)]);
  });
});

describe("tableKey", () => {
  it("leaves the usual UPN characters alone", () => {
    expect(tableKey("o'brien.x-y_z!^~@contoso.com")).toBe("o'brien.x-y_z!^~@contoso.com");
  });

  it("escapes the characters Azure Tables refuse, control characters, and the escape character itself", () => {
    expect(tableKey("a/b\\c#d?e%f")).toBe("a%2fb%5cc%23d%3fe%25f");
    expect(tableKey("\u0000\u001f \u007e\u007f\u0080\u009f\u00a0")).toBe("%00%1f \u007e%7f%80%9f\u00a0");
  });

  it("gives audit row keys that sort by time, with the id made table-safe", () => {
    expect(auditRowKey(NOW, "req/1#a")).toBe("2026-12-06T10:00:00.000Z_req%2f1%23a");
  });
});
