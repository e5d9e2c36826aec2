// bench:capacity's ledger at scale: a certificates table of many rows (a realistic mix of statuses over several
// roots), and what one writer pass reads from it, through the revocation index against the naive scan (every revoked
// certificate ever, by a filter on a non-key column: the service reads every row of the table to answer it).
import { TableTransaction } from "@azure/data-tables";
import type { TableClient } from "@azure/data-tables";
import type { Ledger } from "../src/clients/ledger";
import { certificateEntity } from "../src/clients/ledger-certificates";
import type { CertificateRecord, CertificateStatus } from "../src/domain/ledger";
import { pruneCutoff } from "../src/domain/revocation-window";
import type { SeededRandom } from "./capacity-random";
import type { WriterRead } from "./capacity-port";

const DAY_MS = 86_400_000;

/** The mix: shares of each status, the rest expired. A year of an organisation's issuances is about 15,000 rows. */
export const LEDGER_MIX = { active: 0.05, superseded: 0.03, revoked: 0.08 } as const;

export interface LedgerShape {
  readonly rows: number;
  /** Root thumbprints, oldest first; the last two are trusted (retiring, current), the others retired. */
  readonly roots: readonly string[];
  readonly validityDays: number;
  readonly now: Date;
}

/**
 * Rows spread over the roots' eras, oldest first, with the statuses their age allows: only the newest era holds
 * active certificates; revoked ones are spread over every era, so only a few are both unexpired and of a trusted root.
 */
export function ledgerRows(random: SeededRandom, shape: LedgerShape): CertificateRecord[] {
  const records: CertificateRecord[] = [];
  const spanDays = shape.roots.length * 180;
  const users = Math.max(1, Math.round(shape.rows / 20));
  for (let i = 0; i < shape.rows; i++) {
    const age = (1 - i / shape.rows) * spanDays; // issued `age` days ago
    const era = Math.min(shape.roots.length - 1, Math.floor((spanDays - age) / 180));
    const notBefore = new Date(shape.now.getTime() - age * DAY_MS);
    const notAfter = new Date(notBefore.getTime() + shape.validityDays * DAY_MS);
    const live = notAfter.getTime() > shape.now.getTime();
    const draw = random.next();
    let status: CertificateStatus = live ? "active" : "expired";
    if (draw < LEDGER_MIX.revoked) status = "revoked";
    else if (live && draw < LEDGER_MIX.revoked + LEDGER_MIX.superseded) status = "superseded";
    const user = `user${String(random.int(users)).padStart(5, "0")}@contoso.com`;
    const thumbprint = random.thumbprint();
    records.push({
      userKey: user,
      upn: user,
      certificateName: `seed-${String(i).padStart(6, "0")}`,
      status,
      requestId: `seed-${String(i)}`,
      source: "api",
      sourceId: "bench:capacity",
      thumbprint,
      rootThumbprint: shape.roots[era] ?? "",
      notBefore,
      notAfter,
      ...(status === "revoked"
        ? { revokedAt: new Date(notBefore.getTime() + random.next() * (notAfter.getTime() - notBefore.getTime())) }
        : {}),
      ...(status === "revoked" ? { revocationReason: "bench" } : {}),
      updatedAt: notBefore,
    });
  }
  return records;
}

/**
 * Writes rows straight to the certificates table in transactions of 100 (as an older ledger holds them, before the
 * index): the columns are the ledger's own, checked by `checkSeeded` reading samples back through the ledger.
 */
export async function seedCertificates(table: TableClient, records: readonly CertificateRecord[]): Promise<void> {
  const byUser = new Map<string, CertificateRecord[]>();
  for (const r of records) byUser.set(r.userKey, [...(byUser.get(r.userKey) ?? []), r]);
  const batches: CertificateRecord[][] = [];
  for (const rows of byUser.values()) {
    for (let i = 0; i < rows.length; i += 100) batches.push(rows.slice(i, i + 100));
  }
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map(async (batch) => {
        const tx = new TableTransaction();
        for (const r of batch) tx.createEntity(certificateEntity(r));
        await table.submitTransaction(tx.actions);
      }),
    );
  }
}

/** Reads samples back through the ledger: the seeded columns must give the records the ledger would have written. */
export async function checkSeeded(ledger: Ledger, records: readonly CertificateRecord[]): Promise<void> {
  for (const r of [records[0], records[Math.floor(records.length / 2)], records[records.length - 1]]) {
    if (r === undefined) continue;
    const back = await ledger.getCertificate(r.userKey, r.certificateName);
    if (canonical(back) !== canonical(r)) {
      throw new Error(`seeded row ${r.certificateName} reads back differently: ${JSON.stringify(back)}`);
    }
  }
}

function canonical(record: CertificateRecord | undefined): string {
  return JSON.stringify(Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface ReadFigures {
  readonly rowsRead: number;
  /** Revocations the pass ends up with (revoked, unexpired past the margin, of a trusted root). */
  readonly entries: number;
  /** Median of the timed reads, ms. */
  readonly medianMs: number;
}

/** Times `read` `times` times (the first one warms up and is not counted). */
export async function timeReads(read: () => Promise<WriterRead>, times: number): Promise<ReadFigures> {
  let last = await read();
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    last = await read();
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  return { rowsRead: last.rowsRead, entries: last.entries.length, medianMs: ms[Math.floor(ms.length / 2)] ?? 0 };
}

/** The naive pass: every revoked certificate ever (the service scans the whole table), then filtered here. */
export async function naiveRead(
  ledger: Ledger,
  tableRows: number,
  trusted: readonly string[],
  now: Date,
  marginMs: number,
): Promise<WriterRead> {
  const cutoff = pruneCutoff(now, marginMs);
  const roots = new Set(trusted);
  const revoked = await ledger.listByStatus("revoked");
  const entries = revoked
    .filter((r) => r.thumbprint !== undefined && roots.has(r.rootThumbprint ?? ""))
    .filter((r) => r.notAfter === undefined || r.notAfter.getTime() > cutoff.getTime())
    .map((r) => ({ thumbprint: r.thumbprint ?? "", userKey: r.userKey }));
  return { entries, rowsRead: tableRows };
}
