// The per-user cap (src/domain/certificate-cap.ts): what counts, and that a retry of a counted issuance goes on.
import { STALE_ISSUING_MS, capRefusal, heldCertificates } from "../../../src/domain/certificate-cap";
import type { CertificateRecord, CertificateStatus } from "../../../src/domain/ledger";

const now = new Date("2030-01-01T00:00:00Z");
const later = new Date("2030-06-01T00:00:00Z");
const earlier = new Date("2029-06-01T00:00:00Z");

function record(name: string, status: CertificateStatus, notAfter?: Date): CertificateRecord {
  return {
    userKey: "alice@contoso.com",
    upn: "alice@contoso.com",
    certificateName: name,
    status,
    requestId: name,
    source: "api",
    sourceId: name,
    updatedAt: now,
    ...(notAfter === undefined ? {} : { notAfter }),
  };
}

describe("certificate cap", () => {
  it("counts active and issuing certificates that have not expired", () => {
    const records = [
      record("a", "active", later),
      record("b", "issuing"),
      record("c", "active", earlier),
      record("d", "revoked", later),
      record("e", "superseded", later),
      record("f", "expired", earlier),
    ];
    expect(heldCertificates(records, now, "new").map((r) => r.certificateName)).toEqual(["a", "b"]);
  });

  it("stops counting an issuance left issuing for a day (a failed attempt)", () => {
    const stale = { ...record("old", "issuing"), updatedAt: new Date(now.getTime() - STALE_ISSUING_MS) };
    const fresh = { ...record("new", "issuing"), updatedAt: new Date(now.getTime() - STALE_ISSUING_MS + 1) };
    expect(heldCertificates([stale, fresh], now, "x").map((r) => r.certificateName)).toEqual(["new"]);
  });

  it("refuses a new issuance at the cap, naming the cap and the setting", () => {
    const records = [record("a", "active", later), record("b", "active", later), record("c", "issuing")];
    expect(capRefusal(records, 3, now, "new")).toMatch(
      /holds 3 certificate\(s\), the cap is 3 \(MAX_ACTIVE_CERTIFICATES_PER_USER\)/,
    );
    expect(capRefusal(records, 4, now, "new")).toBeUndefined();
  });

  it("lets a retry of an issuance already recorded go on", () => {
    const records = [record("a", "active", later), record("b", "active", later), record("c", "issuing")];
    expect(capRefusal(records, 3, now, "c")).toBeUndefined();
    // Even when the others alone reach the cap: the retry was counted when it began.
    expect(capRefusal(records, 2, now, "c")).toBeUndefined();
    expect(capRefusal(records, 2, now, "d")).toMatch(/holds 3 certificate/);
  });

  it("tells the user what to do: the refusal ends with 'revoke one first'", () => {
    expect(capRefusal([record("a", "active", later)], 1, now, "new")).toBe(
      "the user already holds 1 certificate(s), the cap is 1 (MAX_ACTIVE_CERTIFICATES_PER_USER): revoke one first",
    );
  });

  it("never counts the issuance asking, and stops counting a certificate at its notAfter", () => {
    const records = [record("self", "active", later), record("ends-now", "active", now), record("a", "active", later)];
    expect(heldCertificates(records, now, "self").map((r) => r.certificateName)).toEqual(["a"]);
    expect(heldCertificates(records, new Date(now.getTime() - 1), "x").map((r) => r.certificateName)).toEqual([
      "self",
      "ends-now",
      "a",
    ]);
  });
});
