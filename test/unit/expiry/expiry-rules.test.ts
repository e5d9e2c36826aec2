import { ConfigError, parseConfig } from "../../../src/config";
import {
  certificatesToExpire,
  clientThresholds,
  crossedThreshold,
  expiringClients,
  expiryAlert,
  renewalCandidates,
} from "../../../src/domain/expiry";
import type { ExpiringObject } from "../../../src/domain/expiry";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { capacityForecast, describeForecast } from "../../../src/domain/revocation-capacity";
import { baseEnv } from "../../support/env";

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

const root: ExpiringObject = {
  kind: "gateway-root",
  objectId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/vgw/HandRoot",
  label: "root HandRoot on gateway vgw",
  thumbprint: "B".repeat(40),
  notAfter: inDays(20).toISOString(),
};

describe("expiry thresholds", () => {
  it("takes the tightest threshold crossed: 20 days left is the 30-day threshold, not the 90-day one", () => {
    expect(crossedThreshold(inDays(20), NOW, THRESHOLDS)).toBe(30);
    expect(crossedThreshold(inDays(91), NOW, THRESHOLDS)).toBeUndefined();
    expect(crossedThreshold(inDays(90), NOW, THRESHOLDS)).toBe(90);
    expect(crossedThreshold(inDays(0.5), NOW, THRESHOLDS)).toBe(1);
    expect(crossedThreshold(inDays(0), NOW, THRESHOLDS)).toBe("expired");
  });

  it("gives the same key on the next day's run inside one threshold, and a new key at the next threshold", () => {
    const first = expiryAlert(root, NOW, THRESHOLDS);
    const nextDay = expiryAlert(root, inDays(1), THRESHOLDS);
    const later = expiryAlert(root, inDays(7), THRESHOLDS);
    expect(first?.key).toBeDefined();
    expect(nextDay?.key).toBe(first?.key);
    expect(first?.key).toContain(":30");
    expect(later?.key).toContain(":14");
    expect(later?.key).not.toBe(first?.key);
    expect(first?.severity).toBe("warning");
    expect(later?.severity).toBe("warning");
    expect(expiryAlert(root, inDays(14), THRESHOLDS)?.severity).toBe("error");
    expect(expiryAlert(root, inDays(21), THRESHOLDS)?.severity).toBe("critical");
    expect(first?.title).toBe("Root HandRoot on gateway vgw expires within 30 days");
  });

  it("starts a replaced root (same name, another certificate) afresh", () => {
    const replaced = expiryAlert({ ...root, thumbprint: "C".repeat(40) }, NOW, THRESHOLDS);
    expect(replaced?.key).not.toBe(expiryAlert(root, NOW, THRESHOLDS)?.key);
  });

  it("limits client certificates to the thresholds within CLIENT_EXPIRY_WARNING_DAYS", () => {
    expect(clientThresholds(THRESHOLDS, 21)).toEqual([1, 7, 14]);
  });

  it("alerts on a client certificate only while its user holds no later one", () => {
    const old = cert({});
    const renewed = cert({ certificateName: "p2s-user-alice-2", thumbprint: "D".repeat(40), notAfter: inDays(180) });
    expect(expiringClients([old]).map((o) => o.thumbprint)).toEqual([old.thumbprint]);
    expect(expiringClients([old, renewed]).map((o) => o.thumbprint)).toEqual([renewed.thumbprint]);
  });
});

describe("expired ledger entries", () => {
  it("selects active and superseded entries past notAfter, never revoked or issuing ones", () => {
    const records = [
      cert({ certificateName: "a", notAfter: inDays(-1) }),
      cert({ certificateName: "b", status: "superseded", notAfter: inDays(-1) }),
      cert({ certificateName: "c", status: "revoked", notAfter: inDays(-1) }),
      cert({ certificateName: "d", notAfter: inDays(1) }),
      cert({ certificateName: "e", status: "issuing", notAfter: inDays(-1) }),
    ];
    expect(certificatesToExpire(records, NOW).map((r) => r.certificateName)).toEqual(["a", "b"]);
  });
});

describe("renewal candidates", () => {
  it("renews an active Key Vault certificate inside the window, once its user has no later one", () => {
    const inWindow = cert({ notAfter: inDays(10) });
    expect(renewalCandidates([inWindow], NOW, 14)).toEqual([inWindow]);
    expect(renewalCandidates([cert({ notAfter: inDays(15) })], NOW, 14)).toEqual([]);
    expect(renewalCandidates([cert({ notAfter: inDays(-1) })], NOW, 14)).toEqual([]);
    const renewal = cert({ certificateName: "new", status: "issuing", notAfter: undefined, thumbprint: undefined });
    expect(renewalCandidates([inWindow, renewal], NOW, 14)).toEqual([]);
  });

  it("never renews a device-key certificate (its key is on the device) or a revoked one", () => {
    expect(renewalCandidates([cert({ source: "self-service" })], NOW, 14)).toEqual([]);
    expect(renewalCandidates([cert({ certificatePem: "-----BEGIN CERTIFICATE-----" })], NOW, 14)).toEqual([]);
    expect(renewalCandidates([cert({ status: "revoked" })], NOW, 14)).toEqual([]);
  });
});

describe("revocation capacity forecast", () => {
  it("divides the room left by the last 30 days' revocation rate", () => {
    const revokedAts = Array.from({ length: 10 }, (_, i) => inDays(-i - 0.5));
    const old = [inDays(-45)];
    const f = capacityForecast(240, 300, [...revokedAts, ...old], NOW);
    expect(f).toEqual({ used: 240, capacity: 300, percent: 80, ratePerDay: 0.33, daysUntilFull: 180 });
    expect(describeForecast(f)).toBe("full in about 180 days at 0.33 revocations a day (last 30 days)");
  });

  it("counts a revocation at the window's end, not one exactly 30 days old nor one dated after now", () => {
    const f = capacityForecast(0, 300, [NOW, inDays(-30), inDays(1)], NOW);
    expect(f.ratePerDay).toBe(0.03);
    expect(f.daysUntilFull).toBe(9000);
  });

  it("gives no figure when nothing was revoked in the window", () => {
    const f = capacityForecast(250, 300, [inDays(-40)], NOW);
    expect(f.daysUntilFull).toBeNull();
    expect(describeForecast(f)).toBe("no revocations in the last 30 days, so no forecast");
  });
});

describe("expiry settings", () => {
  it("reads the thresholds, distinct and ascending, and refuses anything but whole days", () => {
    expect(parseConfig(baseEnv()).EXPIRY_ALERT_THRESHOLDS_DAYS).toEqual([1, 7, 14, 30, 90]);
    expect(parseConfig(baseEnv({ EXPIRY_ALERT_THRESHOLDS_DAYS: "30, 7,30" })).EXPIRY_ALERT_THRESHOLDS_DAYS).toEqual([
      7, 30,
    ]);
    for (const bad of ["0", "7.5", "x", ""]) {
      expect(() => parseConfig(baseEnv({ EXPIRY_ALERT_THRESHOLDS_DAYS: bad }))).toThrow(ConfigError);
    }
    expect(parseConfig(baseEnv()).ALERT_WEBHOOK_FORMAT).toBe("generic");
    expect(() => parseConfig(baseEnv({ ALERT_WEBHOOK_FORMAT: "email" }))).toThrow(ConfigError);
    expect(parseConfig(baseEnv()).REVOCATION_CAPACITY_ALERT_PERCENT).toBe(80);
  });

  it("has no ROOT_EXPIRY_WARNING_DAYS any more (replaced by the thresholds)", () => {
    expect(Object.keys(parseConfig(baseEnv()))).not.toContain("ROOT_EXPIRY_WARNING_DAYS");
  });
});
