// The expiry alert as an operator reads it (title, detail, advice per kind, details), and the edges of the expiry
// rules: thresholds given in any order, an object expiring exactly now, a renewal window's exact end, and which of a
// user's certificates count as a later one.
import {
  certificatesToExpire,
  clientThresholds,
  crossedThreshold,
  daysLeft,
  expiringClients,
  expiryAlert,
  renewalCandidates,
} from "../../../src/domain/expiry";
import type { ExpiringObject } from "../../../src/domain/expiry";
import type { CertificateRecord } from "../../../src/domain/ledger";

const DAY = 86_400_000;
const NOW = new Date("2026-12-06T06:00:00.000Z");
const THRESHOLDS = [1, 7, 14, 30, 90];
const inDays = (d: number): Date => new Date(NOW.getTime() + d * DAY);

function cert(overrides: Partial<CertificateRecord>): CertificateRecord {
  return {
    userKey: "alice@contoso.com",
    upn: "alice@contoso.com",
    certificateName: "p2s-user-alice-1",
    status: "active",
    requestId: "r1",
    source: "api",
    sourceId: "r1",
    thumbprint: "A".repeat(40),
    notAfter: inDays(10),
    updatedAt: NOW,
    ...overrides,
  };
}

const object = (kind: ExpiringObject["kind"], notAfter: Date): ExpiringObject => ({
  kind,
  objectId: `id-${kind}`,
  label: "root P2SRoot on vgw-hub",
  thumbprint: "B".repeat(40),
  notAfter: notAfter.toISOString(),
});

describe("daysLeft", () => {
  it("counts whole days left, rounded down, negative once expired", () => {
    expect(daysLeft(inDays(20.5), NOW)).toBe(20);
    expect(daysLeft(inDays(1), NOW)).toBe(1);
    expect(daysLeft(inDays(-0.5), NOW)).toBe(-1);
  });
});

describe("crossedThreshold", () => {
  it("takes the tightest threshold whatever the order of the list", () => {
    expect(crossedThreshold(inDays(5), NOW, [90, 30, 14, 7, 1])).toBe(7);
    expect(crossedThreshold(inDays(5), NOW, [30, 7, 90])).toBe(7);
  });
});

describe("the expiry alert's text", () => {
  it("says when a root expires, in how many whole days, and what to do, per kind", () => {
    const notAfter = inDays(20.5);
    const alert = expiryAlert(object("gateway-root", notAfter), NOW, THRESHOLDS);
    expect(alert).toEqual({
      key: `expiry:gateway-root:id-gateway-root:${"B".repeat(40)}:30`,
      severity: "warning",
      title: "Root P2SRoot on vgw-hub expires within 30 days",
      detail:
        `root P2SRoot on vgw-hub (thumbprint ${"B".repeat(40)}) expires on ${notAfter.toISOString()} (20 days). ` +
        "Users whose certificates chain to it cannot connect once it expires; the gateway writer leaves it out then.",
      subject: "id-gateway-root",
      kind: "expiry",
      details: {
        objectKind: "gateway-root",
        objectId: "id-gateway-root",
        thumbprint: "B".repeat(40),
        notAfter: notAfter.toISOString(),
        threshold: "30",
        daysLeft: 20,
      },
    });
    expect(expiryAlert(object("ca-root", notAfter), NOW, THRESHOLDS)?.detail).toMatch(
      / \(20 days\)\. Every client certificate it signed stops working with it: plan the root rollover\.$/,
    );
    expect(expiryAlert(object("client-certificate", notAfter), NOW, THRESHOLDS)?.detail).toMatch(
      / \(20 days\)\. It is renewed automatically unless its user is disabled or offboarded\.$/,
    );
  });

  it("says that an expired object has expired, and on which date", () => {
    const notAfter = inDays(-2);
    const alert = expiryAlert(object("ca-root", notAfter), NOW, THRESHOLDS);
    expect(alert).toMatchObject({
      severity: "critical",
      title: "Root P2SRoot on vgw-hub has expired",
      detail:
        `root P2SRoot on vgw-hub (thumbprint ${"B".repeat(40)}) expired on ${notAfter.toISOString()}. ` +
        "Every client certificate it signed stops working with it: plan the root rollover.",
      details: { threshold: "expired", daysLeft: -2 },
    });
  });
});

describe("the edges of the expiry rules", () => {
  it("counts a certificate ending exactly now as expired, and does not renew it", () => {
    expect(certificatesToExpire([cert({ notAfter: NOW })], NOW)).toHaveLength(1);
    expect(renewalCandidates([cert({ notAfter: NOW })], NOW, 14)).toEqual([]);
  });

  it("renews a certificate ending exactly at the window's end, and not one without a thumbprint", () => {
    const atEnd = cert({ notAfter: inDays(14) });
    expect(renewalCandidates([atEnd], NOW, 14)).toEqual([atEnd]);
    expect(renewalCandidates([cert({ thumbprint: undefined })], NOW, 14)).toEqual([]);
  });

  it("keeps a threshold equal to the client warning horizon", () => {
    expect(clientThresholds([1, 7, 14, 30], 14)).toEqual([1, 7, 14]);
  });

  it("names a client certificate by its user and certificate, and alerts only on active ones", () => {
    const active = cert({});
    expect(expiringClients([active])).toEqual([
      {
        kind: "client-certificate",
        objectId: "alice@contoso.com/p2s-user-alice-1",
        label: "the certificate of alice@contoso.com",
        thumbprint: "A".repeat(40),
        notAfter: inDays(10).toISOString(),
      },
    ]);
    expect(expiringClients([cert({ status: "superseded" }), cert({ status: "revoked" })])).toEqual([]);
  });

  it("does not count a revoked or superseded later certificate as the user's newer one", () => {
    const active = cert({});
    const later = (status: CertificateRecord["status"]): CertificateRecord =>
      cert({ certificateName: `later-${status}`, status, notAfter: inDays(300), thumbprint: "C".repeat(40) });
    for (const status of ["revoked", "superseded"] as const) {
      expect(expiringClients([active, later(status)]).map((o) => o.objectId)).toEqual([
        "alice@contoso.com/p2s-user-alice-1",
      ]);
      expect(renewalCandidates([active, later(status)], NOW, 14)).toEqual([active]);
    }
  });
});
