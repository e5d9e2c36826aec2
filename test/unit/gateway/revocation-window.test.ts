// Issue 8: a revoked entry leaves the gateways only once its certificate has expired by the gateway's clock too:
// after notAfter plus the margin (GATEWAY_PRUNE_MARGIN_HOURS, default one day), never at notAfter by our clock.
import { loadDesiredGatewayState } from "../../../src/clients/desired-gateway-state";
import type { KeyVaultClients } from "../../../src/clients/keyvault";
import type { Ledger } from "../../../src/clients/ledger";
import { parseConfig } from "../../../src/config";
import { TEST_ACCESS_SETTINGS } from "../../support/env";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { indexedWindow, revocationWindow } from "../../../src/domain/revocation-window";

const HOUR = 3_600_000;
const NOW = new Date("2026-12-06T10:00:00Z");
const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");

function revoked(n: number, notAfter: Date): CertificateRecord {
  return {
    userKey: `user${n}@contoso.com`,
    upn: `user${n}@contoso.com`,
    certificateName: `c${n}`,
    status: "revoked",
    requestId: `R${n}`,
    source: "api",
    sourceId: `R${n}`,
    thumbprint: tp(n),
    notBefore: new Date(notAfter.getTime() - 100 * 24 * HOUR),
    notAfter,
    revokedAt: NOW,
    updatedAt: NOW,
  };
}

const records = [
  revoked(1, new Date(NOW.getTime() + HOUR)), // still valid
  revoked(2, new Date(NOW.getTime() - HOUR)), // expired by our clock an hour ago
  revoked(3, new Date(NOW.getTime() - 25 * HOUR)), // expired more than a day ago
];

describe("revocationWindow", () => {
  it("keeps a revocation that expired within the margin, and prunes only past it", () => {
    const window = revocationWindow(records, NOW, 24 * HOUR);
    expect(window.revokedThumbprints).toEqual([tp(1), tp(2)]);
    expect(window.expiredThumbprints).toEqual([tp(3)]);
    expect(window.revokedUsers).toEqual({ [tp(1)]: "user1@contoso.com", [tp(2)]: "user2@contoso.com" });
  });

  it("prunes at notAfter only with a zero margin", () => {
    expect(revocationWindow(records, NOW, 0).expiredThumbprints).toEqual([tp(2), tp(3)]);
  });

  it("prunes a revocation whose notAfter is exactly the margin ago, and keeps one a second younger", () => {
    const due = revoked(4, new Date(NOW.getTime() - 24 * HOUR));
    const young = revoked(5, new Date(NOW.getTime() - 24 * HOUR + 1000));
    const window = revocationWindow([due, young], NOW, 24 * HOUR);
    expect(window.expiredThumbprints).toEqual([tp(4)]);
    expect(window.revokedThumbprints).toEqual([tp(5)]);
    expect(window.revokedUsers).toEqual({ [tp(5)]: "user5@contoso.com" });
  });

  it("ignores records that are not revoked or have no thumbprint, and keeps a revocation without notAfter", () => {
    const active: CertificateRecord = { ...revoked(6, new Date(NOW.getTime() - 48 * HOUR)), status: "active" };
    const { thumbprint: _none, ...pending } = revoked(7, new Date(NOW.getTime() - 48 * HOUR));
    const { notAfter: _unknown, ...undated } = revoked(8, NOW);
    const window = revocationWindow([active, pending, undated], NOW, 24 * HOUR);
    expect(window).toEqual({
      revokedThumbprints: [tp(8)],
      expiredThumbprints: [],
      revokedUsers: { [tp(8)]: "user8@contoso.com" },
    });
  });
});

describe("loadDesiredGatewayState", () => {
  // The index as the ledger keeps it: records without a root are in the "unknown" partition, read by range.
  const ledger = {
    listByStatus: () => Promise.resolve(records),
    revocations: {
      ensureBackfilled: () => Promise.resolve(false),
      readForWriter: (partitions: readonly string[], cutoff: Date) => {
        const entries = partitions.includes("unknown")
          ? records.filter((r) => r.notAfter === undefined || r.notAfter.getTime() > cutoff.getTime())
          : [];
        return Promise.resolve({ entries, rowsRead: entries.length });
      },
      readAll: (cutoff: Date) => {
        const entries = records.filter((r) => r.notAfter === undefined || r.notAfter.getTime() > cutoff.getTime());
        return Promise.resolve({ entries, rowsRead: entries.length });
      },
    },
  } as unknown as Ledger;
  // No root yet: the certificate client answers 404 as Key Vault would before the first bootstrap.
  const keyVault = {
    certificates: {
      getCertificate: () => Promise.reject(Object.assign(new Error("not found"), { statusCode: 404 })),
    },
  } as unknown as KeyVaultClients;
  // No root registered yet.
  const noRoots = { list: () => Promise.resolve([]) };
  const env = {
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    KEY_VAULT_URL: "https://vault.vault.azure.net",
    ...TEST_ACCESS_SETTINGS,
  };

  it("waits a day past notAfter by default before pruning", async () => {
    const state = await loadDesiredGatewayState(parseConfig(env), { ledger, keyVault, roots: noRoots }, NOW);
    expect(state.desired.revokedThumbprints).toEqual([tp(1), tp(2)]);
    expect(state.desired.expiredThumbprints).toEqual([tp(3)]);
  });

  it("follows GATEWAY_PRUNE_MARGIN_HOURS", async () => {
    const config = parseConfig({ ...env, GATEWAY_PRUNE_MARGIN_HOURS: "48" });
    const state = await loadDesiredGatewayState(config, { ledger, keyVault, roots: noRoots }, NOW);
    expect(state.desired.revokedThumbprints).toEqual([tp(1), tp(2), tp(3)]);
    expect(state.desired.expiredThumbprints).toEqual([]);
  });
});

describe("indexedWindow (the revocation index's entries)", () => {
  const margin = 24 * HOUR;
  const atCutoff = new Date(NOW.getTime() - margin);

  it("revokes trusted entries until notAfter plus the margin, upper-cases and sorts, and maps each to its user", () => {
    const window = indexedWindow(
      [
        { thumbprint: "bb".repeat(20), userKey: "b@contoso.com", notAfter: new Date(atCutoff.getTime() + 1) },
        { thumbprint: "aa".repeat(20), userKey: "a@contoso.com" }, // no known expiry: kept
        { thumbprint: "dd".repeat(20), userKey: "d@contoso.com", notAfter: atCutoff }, // exactly at the cutoff: expired
        { thumbprint: "cc".repeat(20), userKey: "c@contoso.com", notAfter: new Date(atCutoff.getTime() - HOUR) },
      ],
      [],
      NOW,
      margin,
    );
    expect(window.revokedThumbprints).toEqual(["AA".repeat(20), "BB".repeat(20)]);
    expect(window.expiredThumbprints).toEqual(["CC".repeat(20), "DD".repeat(20)]);
    expect(window.revokedUsers).toEqual({ ["AA".repeat(20)]: "a@contoso.com", ["BB".repeat(20)]: "b@contoso.com" });
  });

  it("never lists as expired a thumbprint another entry still revokes", () => {
    const window = indexedWindow(
      [
        { thumbprint: "ee".repeat(20), userKey: "e@contoso.com", notAfter: new Date(atCutoff.getTime() - HOUR) },
        { thumbprint: "EE".repeat(20), userKey: "e@contoso.com", notAfter: new Date(NOW.getTime() + HOUR) },
      ],
      [],
      NOW,
      margin,
    );
    expect(window.revokedThumbprints).toEqual(["EE".repeat(20)]);
    expect(window.expiredThumbprints).toEqual([]);
  });

  it("gives the planner every entry's issuing root and expiry, retired roots' entries included, revoking only trusted", () => {
    const notAfter = new Date("2027-01-01T00:00:00Z");
    const window = indexedWindow(
      [{ thumbprint: "1a".repeat(20), userKey: "t@contoso.com", rootThumbprint: "ab".repeat(20), notAfter }],
      [
        { thumbprint: "2b".repeat(20), userKey: "o@contoso.com", rootThumbprint: "cd".repeat(20) },
        { thumbprint: "3c".repeat(20), userKey: "p@contoso.com" },
      ],
      NOW,
      margin,
    );
    expect(window.revocationInfo).toEqual({
      ["1A".repeat(20)]: { rootThumbprint: "AB".repeat(20), notAfter: "2027-01-01T00:00:00.000Z" },
      ["2B".repeat(20)]: { rootThumbprint: "CD".repeat(20) },
      ["3C".repeat(20)]: {},
    });
    expect(window.revokedThumbprints).toEqual(["1A".repeat(20)]);
    expect(window.expiredThumbprints).toEqual([]);
  });
});
