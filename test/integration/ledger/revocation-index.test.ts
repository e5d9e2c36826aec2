// Issue 14: the revocation index on Azurite through @azure/data-tables. Every revocation the ledger records is indexed
// by its issuing root and expiry, once, whatever the number of puts; a writer's read returns only the given roots'
// revocations that expire after the cutoff, and the rows it read are those and no more; older ledgers are filled
// from the certificates table once.
import { parseConfig } from "../../../src/config";
import { Ledger } from "../../../src/clients/ledger";
import { indexRowKey, RevocationIndex, UNKNOWN_ROOT_PARTITION } from "../../../src/clients/revocation-index";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";
import { baseEnv } from "../../support/env";

const DAY = 86_400_000;
const NOW = new Date("2027-03-01T12:00:00Z");
const ROOT_A = "A".repeat(40);
const ROOT_B = "B".repeat(40);
const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");

function config(prefix: string): ReturnType<typeof parseConfig> {
  return parseConfig(baseEnv({ AzureWebJobsStorage: azuriteConnectionString(), LEDGER_TABLE_PREFIX: prefix }));
}

function newPrefix(): string {
  return uniqueName("ri").replace(/[^a-z0-9]/g, "");
}

function record(n: number, over: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    userKey: `user${n}@contoso.com`,
    upn: `User${n}@contoso.com`,
    certificateName: `p2s-c${n}`,
    status: "revoked",
    requestId: `R${n}`,
    source: "api",
    sourceId: `R${n}`,
    thumbprint: tp(n),
    rootThumbprint: ROOT_A,
    notBefore: new Date(NOW.getTime() - 100 * DAY),
    notAfter: new Date(NOW.getTime() + n * DAY),
    revokedAt: NOW,
    updatedAt: NOW,
    ...over,
  };
}

async function putAll(ledger: Ledger, records: readonly CertificateRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 20) {
    await Promise.all(records.slice(i, i + 20).map((r) => ledger.putCertificate(r)));
  }
}

describe("RevocationIndex on Azurite", () => {
  it("indexes a certificate when it becomes revoked, once, under its issuing root", async () => {
    const ledger = Ledger.fromConfig(config(newPrefix()));
    const { status: _s, revokedAt: _r, ...base } = record(1);
    await ledger.putCertificate({ ...base, status: "active" });
    expect((await ledger.revocations.readForWriter([ROOT_A], NOW)).entries).toEqual([]);
    await ledger.putCertificate({ ...base, status: "revoked", revokedAt: NOW });
    // A repeat (a retried activity) writes the same row.
    await ledger.putCertificate({ ...base, status: "revoked", revokedAt: NOW });
    const read = await ledger.revocations.readForWriter([ROOT_A], NOW);
    expect(read.rowsRead).toBe(1);
    expect(read.entries).toEqual([
      {
        thumbprint: tp(1),
        rootThumbprint: ROOT_A,
        notAfter: new Date(NOW.getTime() + DAY),
        revokedAt: NOW,
        userKey: "user1@contoso.com",
        certificateName: "p2s-c1",
      },
    ]);
  });

  it("indexes a revocation recorded while issuing once the issuance gives it a thumbprint (merged fields)", async () => {
    const ledger = Ledger.fromConfig(config(newPrefix()));
    const { thumbprint: _t, notAfter: _n, rootThumbprint: _r, ...issuing } = record(2);
    await ledger.putCertificate(issuing);
    expect((await ledger.revocations.readForWriter([ROOT_A, UNKNOWN_ROOT_PARTITION], NOW)).rowsRead).toBe(0);
    // The issuance finishes: a partial merge that carries the thumbprint, root and expiry.
    await ledger.putCertificate({ ...record(2) });
    expect((await ledger.revocations.readForWriter([ROOT_A], NOW)).entries.map((e) => e.thumbprint)).toEqual([tp(2)]);
  });

  it("moves a revocation's row when its record is corrected (another notAfter), leaving no stale row", async () => {
    const ledger = Ledger.fromConfig(config(newPrefix()));
    const revoked = record(2, { notAfter: new Date(NOW.getTime() + 30 * DAY) });
    await ledger.putCertificate(revoked);
    // The certificate in fact expired two days ago (a corrected record): the row moves, it is not duplicated.
    await ledger.putCertificate({ ...revoked, notAfter: new Date(NOW.getTime() - 2 * DAY) });
    const read = await ledger.revocations.readForWriter([ROOT_A], NOW);
    expect(read.entries).toEqual([]);
    const all = await ledger.revocations.readForWriter([ROOT_A], new Date(NOW.getTime() - 10 * DAY));
    expect(all.entries.map((e) => e.thumbprint)).toEqual([tp(2)]);
  });

  it("reads only the given roots' revocations expiring after the cutoff, and counts only those rows", async () => {
    const ledger = Ledger.fromConfig(config(newPrefix()));
    const records = [
      // Root A: 30 expired long ago, 5 expiring after the cutoff.
      ...Array.from({ length: 30 }, (_, i) => record(100 + i, { notAfter: new Date(NOW.getTime() - (60 + i) * DAY) })),
      ...Array.from({ length: 5 }, (_, i) => record(200 + i)),
      // Root B (say retired): 20 unexpired, not asked for.
      ...Array.from({ length: 20 }, (_, i) => record(300 + i, { rootThumbprint: ROOT_B })),
      // No root known (older records): 2, one without notAfter (always read).
      record(400, { rootThumbprint: undefined }),
      { ...record(401), rootThumbprint: undefined, notAfter: undefined },
    ] as CertificateRecord[];
    await putAll(
      ledger,
      records.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as CertificateRecord),
    );

    const read = await ledger.revocations.readForWriter([ROOT_A, UNKNOWN_ROOT_PARTITION], NOW);
    expect(read.entries.map((e) => e.thumbprint).sort()).toEqual([200, 201, 202, 203, 204, 400, 401].map(tp).sort());
    expect(read.rowsRead).toBe(7);
    // Rows whose notAfter is the cutoff itself are not after it.
    const edge = new Date(NOW.getTime() + 200 * DAY);
    const atEdge = await ledger.revocations.readForWriter([ROOT_A], edge);
    expect(atEdge.entries.map((e) => e.thumbprint)).toEqual([tp(201), tp(202), tp(203), tp(204)]);
    // The partition reads in expiry order (the RowKey).
    expect(
      indexRowKey(new Date("2027-01-02T00:00:00Z"), tp(1)) < indexRowKey(new Date("2027-01-10T00:00:00Z"), tp(0)),
    ).toBe(true);
  });

  it("fills the index once from an older ledger's revoked records", async () => {
    const prefix = newPrefix();
    const ledger = Ledger.fromConfig(config(prefix));
    await putAll(ledger, [record(1), record(2), record(3, { rootThumbprint: ROOT_B })]);
    // An index that never saw those puts (as after an upgrade): a fresh table under another prefix's name.
    const fresh = RevocationIndex.fromConfig({ ...config(prefix), LEDGER_TABLE_PREFIX: `${prefix}x` });
    let scans = 0;
    const source = async (): Promise<CertificateRecord[]> => {
      scans++;
      return ledger.listByStatus("revoked");
    };
    expect(await fresh.ensureBackfilled(source)).toBe(true);
    expect(await fresh.ensureBackfilled(source)).toBe(false);
    // Another instance (another worker) sees the marker and does not scan again.
    const again = RevocationIndex.fromConfig({ ...config(prefix), LEDGER_TABLE_PREFIX: `${prefix}x` });
    expect(await again.ensureBackfilled(source)).toBe(false);
    expect(scans).toBe(1);
    expect((await again.readForWriter([ROOT_A], NOW)).entries.map((e) => e.thumbprint)).toEqual([tp(1), tp(2)]);
    expect((await again.readForWriter([ROOT_B], NOW)).entries.map((e) => e.thumbprint)).toEqual([tp(3)]);
  });
});
