import { parseConfig } from "../../../src/config";
import { Ledger, LedgerConflictError } from "../../../src/clients/ledger";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { revokedThumbprints } from "../../../src/domain/ledger";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";
import { baseEnv } from "../../support/env";

function newLedger(): Ledger {
  const prefix = uniqueName("l").replace(/[^a-z0-9]/g, "");
  return Ledger.fromConfig(
    parseConfig(baseEnv({ AzureWebJobsStorage: azuriteConnectionString(), LEDGER_TABLE_PREFIX: prefix })),
  );
}

const issuing: CertificateRecord = {
  userKey: "ada@contoso.com",
  upn: "Ada@contoso.com",
  certificateName: "p2s-user-abc123",
  status: "issuing",
  requestId: "req-1",
  source: "ticket",
  sourceId: "INC0001",
  updatedAt: new Date("2026-11-25T10:00:00Z"),
};

describe("Ledger (Azure Table Storage through @azure/data-tables)", () => {
  it("records a certificate through issuing → active → revoked and keeps earlier fields", async () => {
    const ledger = newLedger();
    await ledger.putCertificate(issuing);
    await ledger.putCertificate({
      ...issuing,
      status: "active",
      thumbprint: "A".repeat(40),
      serialNumber: "0A1B",
      notBefore: new Date("2026-11-25T09:55:00Z"),
      notAfter: new Date("2027-05-24T09:55:00Z"),
    });
    await ledger.putCertificate({ ...issuing, status: "revoked", revokedAt: new Date(), revocationReason: "leaver" });
    const stored = await ledger.getCertificate("ada@contoso.com", "p2s-user-abc123");
    expect(stored).toMatchObject({ status: "revoked", thumbprint: "A".repeat(40), revocationReason: "leaver" });
    expect(stored?.notAfter?.toISOString()).toBe("2027-05-24T09:55:00.000Z");
    expect(await ledger.findByThumbprint("A".repeat(40))).toHaveLength(1);
    expect(await ledger.listUserCertificates("ada@contoso.com")).toHaveLength(1);
  });

  it("refuses to bring a revoked certificate back", async () => {
    const ledger = newLedger();
    await ledger.putCertificate({ ...issuing, status: "revoked" });
    await expect(ledger.putCertificate({ ...issuing, status: "active" })).rejects.toBeInstanceOf(LedgerConflictError);
    expect((await ledger.getCertificate(issuing.userKey, issuing.certificateName))?.status).toBe("revoked");
  });

  it("never loses a revocation to a concurrent activation", async () => {
    const ledger = newLedger();
    await ledger.putCertificate(issuing);
    const results = await Promise.allSettled([
      ledger.putCertificate({ ...issuing, status: "revoked", revocationReason: "leaver" }),
      ledger.putCertificate({ ...issuing, status: "active", thumbprint: "B".repeat(40) }),
    ]);
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
    expect((await ledger.getCertificate(issuing.userKey, issuing.certificateName))?.status).toBe("revoked");
  });

  it("keeps keys with table-forbidden characters reversible", async () => {
    const ledger = newLedger();
    const odd = { ...issuing, userKey: "o/b#r?i%en@contoso.com", upn: "o/b#r?i%en@contoso.com" };
    await ledger.putCertificate(odd);
    const [found] = await ledger.listUserCertificates(odd.userKey);
    expect(found?.userKey).toBe(odd.userKey);
  });

  it("appends an audit entry once per id, in time order", async () => {
    const ledger = newLedger();
    const entry = {
      id: "req-1:issued",
      at: new Date("2026-11-25T10:00:00Z"),
      actor: "ticket:alice",
      action: "certificate.issued",
      subject: "ada@contoso.com",
      reason: "INC0001",
      source: "ticket",
      details: { thumbprint: "A".repeat(40) },
    };
    await ledger.appendAudit(entry);
    await ledger.appendAudit({ ...entry, at: new Date("2026-11-25T10:00:05Z") });
    await ledger.appendAudit({
      ...entry,
      id: "req-2:revoked",
      action: "certificate.revoked",
      at: new Date("2026-11-26T00:00:00Z"),
    });
    const entries = await ledger.listAudit("ada@contoso.com");
    expect(entries.map((e) => e.action)).toEqual(["certificate.issued", "certificate.revoked"]);
    expect(entries[0]?.details).toEqual({ thumbprint: "A".repeat(40) });
  });
});

describe("revokedThumbprints", () => {
  it("keeps revoked, unexpired thumbprints only, sorted and unique", () => {
    const now = new Date("2026-11-25T00:00:00Z");
    const later = new Date("2027-01-01T00:00:00Z");
    const earlier = new Date("2026-01-01T00:00:00Z");
    const rec = (thumbprint: string, status: CertificateRecord["status"], notAfter: Date): CertificateRecord => ({
      ...issuing,
      thumbprint,
      status,
      notAfter,
    });
    expect(
      revokedThumbprints(
        [
          rec("C".repeat(40), "revoked", later),
          rec("B".repeat(40), "revoked", earlier),
          rec("D".repeat(40), "active", later),
          rec("C".repeat(40), "revoked", later),
        ],
        now,
      ),
    ).toEqual(["C".repeat(40)]);
  });

  it("marks sessions to end per gateway in batches, lists them, and clears them, also when some are gone", async () => {
    const ledger = newLedger();
    const gatewayA = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworkGateways/a";
    const gatewayB = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworkGateways/b";
    const users = Array.from({ length: 150 }, (_, i) => `User${i}@Contoso.com`);
    await ledger.markSessionsToEnd(gatewayA, users, new Date());
    await ledger.markSessionsToEnd(gatewayA, users.slice(0, 10), new Date());
    await ledger.markSessionsToEnd(gatewayB, ["ada@contoso.com"], new Date());
    const marked = await ledger.listSessionsToEnd(gatewayA);
    expect(marked.sort()).toEqual(users.map((u) => u.toLowerCase()).sort());

    // One of them was cleared already (a retried clear): the rest still go.
    await ledger.clearSessionsToEnd(gatewayA, [marked[0] ?? ""]);
    await ledger.clearSessionsToEnd(gatewayA, marked);
    expect(await ledger.listSessionsToEnd(gatewayA)).toEqual([]);
    expect(await ledger.listSessionsToEnd(gatewayB)).toEqual(["ada@contoso.com"]);
  });

  it("keeps a user's latest offboarding", async () => {
    const ledger = newLedger();
    expect(await ledger.getOffboarding("ada@contoso.com")).toBeUndefined();
    const first = new Date("2026-11-01T10:00:00Z");
    const second = new Date("2026-11-20T10:00:00Z");
    await ledger.recordOffboarding({
      userKey: "ada@contoso.com",
      offboardedAt: first,
      requestId: "L-1",
      reason: "left",
    });
    await ledger.recordOffboarding({
      userKey: "ada@contoso.com",
      offboardedAt: second,
      requestId: "L-2",
      reason: "again",
    });
    expect(await ledger.getOffboarding("ada@contoso.com")).toEqual({
      userKey: "ada@contoso.com",
      offboardedAt: second,
      requestId: "L-2",
      reason: "again",
    });
  });
  it("keeps the latest offboarding and rehire by the time they took effect, whatever order they arrive in", async () => {
    const ledger = newLedger();
    const user = "grace@contoso.com";
    expect(await ledger.getStanding(user)).toEqual({});
    const later = new Date("2026-11-20T10:00:00Z");
    const earlier = new Date("2026-11-01T10:00:00Z");
    await ledger.recordOffboarding({ userKey: user, offboardedAt: later, requestId: "L-2", reason: "left" });
    // A late event about an earlier departure arrives second: it does not move the offboarding back.
    await ledger.recordOffboarding({ userKey: user, offboardedAt: earlier, requestId: "L-1", reason: "late" });
    await ledger.recordHire({ userKey: user, hiredAt: new Date("2026-11-25T10:00:00Z"), requestId: "INC-2" });
    await ledger.recordHire({ userKey: user, hiredAt: earlier, requestId: "INC-1" });
    expect(await ledger.getStanding(user)).toEqual({
      offboarding: { userKey: user, offboardedAt: later, requestId: "L-2", reason: "left" },
      hire: { userKey: user, hiredAt: new Date("2026-11-25T10:00:00Z"), requestId: "INC-2" },
    });
  });
});
