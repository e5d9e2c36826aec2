// The revocation index (<prefix>Revocations): one row per revoked certificate, so a writer pass reads only the
// revocations of the roots it cares about that are still (or recently) valid, never every certificate ever issued.
// PartitionKey = the issuing root's thumbprint ("unknown" for older records without one); RowKey = notAfter (ISO
// 8601, which sorts in time order; far future when unknown) then the thumbprint, so "not expired before X" is one
// range query per root. Written by the ledger's certificate put whenever a record is revoked (every path goes through
// it), idempotently (an upsert of the same row); filled once from older ledgers (ensureBackfilled).
import { RestError } from "@azure/data-tables";
import type { TableClient, TableEntityResult } from "@azure/data-tables";
import type { Config } from "../config";
import type { CertificateRecord } from "../domain/ledger";
import { asDate, ensureTable, entityOrUndefined, odataString, optional } from "./ledger-table";
import { tableClient } from "./storage";

/** The partition of revocations whose issuing root the ledger does not know (records older than root tracking). */
export const UNKNOWN_ROOT_PARTITION = "unknown";
/** RowKey prefix of a revocation without notAfter: after every real date, so every range read includes it. */
const NO_EXPIRY = "9999-12-31T23:59:59.999Z";
/** The marker row that says the one-off backfill from the certificates table has finished. */
const META_PARTITION = "_meta";
const BACKFILL_ROW = "backfill";
/** Rows written at once during the backfill (Azurite and Azure both take parallel single upserts well). */
const BACKFILL_PARALLEL = 25;

export interface IndexedRevocation {
  /** Uppercase SHA-1 hex. */
  readonly thumbprint: string;
  /** Uppercase SHA-1 hex of the issuing root; absent for older records. */
  readonly rootThumbprint?: string;
  readonly notAfter?: Date;
  readonly revokedAt?: Date;
  /** Lower-cased UPN (the ledger's partition), and the record's name: the certificate behind the entry. */
  readonly userKey: string;
  readonly certificateName: string;
}

export interface IndexRead {
  readonly entries: IndexedRevocation[];
  /** Rows the table returned: the cost of the read. */
  readonly rowsRead: number;
}

interface RevocationEntity {
  partitionKey: string;
  rowKey: string;
  thumbprint: string;
  rootThumbprint?: string;
  notAfter?: Date;
  revokedAt?: Date;
  userKey: string;
  certificateName: string;
}

/** The partition of a revocation by the root that issued it. */
export function indexPartition(rootThumbprint: string | undefined): string {
  if (rootThumbprint === undefined || rootThumbprint === "" || rootThumbprint === UNKNOWN_ROOT_PARTITION) {
    return UNKNOWN_ROOT_PARTITION;
  }
  return rootThumbprint.toUpperCase();
}

/** The RowKey: notAfter (or far future) then the thumbprint, so a partition reads in expiry order. */
export function indexRowKey(notAfter: Date | undefined, thumbprint: string): string {
  return `${notAfter === undefined ? NO_EXPIRY : notAfter.toISOString()}_${thumbprint.toUpperCase()}`;
}

export class RevocationIndex {
  private backfilled = false;

  constructor(
    private readonly table: TableClient,
    private readonly ready: () => Promise<void>,
  ) {}

  static fromConfig(config: Parameters<typeof tableClient>[0] & Pick<Config, "LEDGER_TABLE_PREFIX">): RevocationIndex {
    const table = tableClient(config, `${config.LEDGER_TABLE_PREFIX}Revocations`);
    const ensured = new Set<TableClient>();
    return new RevocationIndex(table, () => ensureTable(table, ensured));
  }

  /**
   * Indexes a revoked record (no-op for any other status, and for one without a thumbprint yet: nothing to put on a
   * gateway). Safe to repeat: the same record always gives the same row.
   */
  async record(record: CertificateRecord, previous?: CertificateRecord): Promise<void> {
    if (record.status !== "revoked" || record.thumbprint === undefined) return;
    await this.ready();
    const thumbprint = record.thumbprint.toUpperCase();
    const stale = previous === undefined ? undefined : rowOf(previous);
    const entity: RevocationEntity = {
      partitionKey: indexPartition(record.rootThumbprint),
      rowKey: indexRowKey(record.notAfter, thumbprint),
      thumbprint,
      userKey: record.userKey,
      certificateName: record.certificateName,
      ...(record.rootThumbprint === undefined ? {} : { rootThumbprint: record.rootThumbprint.toUpperCase() }),
      ...(record.notAfter === undefined ? {} : { notAfter: record.notAfter }),
      ...(record.revokedAt === undefined ? {} : { revokedAt: record.revokedAt }),
    };
    await this.table.upsertEntity(entity, "Replace");
    // A corrected record (another notAfter or root) moves its row: the new row first, so a crash in between leaves
    // a revocation listed twice, never missing; the old one then goes (already gone on a repeat).
    if (stale !== undefined && (stale.partitionKey !== entity.partitionKey || stale.rowKey !== entity.rowKey)) {
      try {
        await this.table.deleteEntity(stale.partitionKey, stale.rowKey);
      } catch (error) {
        if (!(error instanceof RestError && error.statusCode === 404)) throw error;
      }
    }
  }

  /**
   * The revocations of the given roots (partitions; pass UNKNOWN_ROOT_PARTITION for records without a root) whose
   * certificate expires after `cutoff` (or has no known expiry), one range query per root.
   */
  async readForWriter(rootThumbprints: readonly string[], cutoff: Date): Promise<IndexRead> {
    await this.ready();
    const partitions = [...new Set(rootThumbprints.map((t) => indexPartition(t)))];
    const reads = await Promise.all(partitions.map((p) => this.readPartition(p, cutoff)));
    return { entries: reads.flat(), rowsRead: reads.reduce((n, r) => n + r.length, 0) };
  }

  /**
   * Every root's revocations expiring after `cutoff`: one query over the whole index, for when the roots cannot be
   * known (Key Vault unreachable). Still far less than the certificates table, and nothing a root issued is missed.
   */
  async readAll(cutoff: Date): Promise<IndexRead> {
    await this.ready();
    const filter = `PartitionKey ne '${META_PARTITION}' and RowKey gt '${odataString(afterKey(cutoff))}'`;
    const entries: IndexedRevocation[] = [];
    for await (const e of this.table.listEntities<RevocationEntity>({ queryOptions: { filter } })) {
      entries.push(fromEntity(e));
    }
    return { entries, rowsRead: entries.length };
  }

  /**
   * Fills the index from the certificates table once per ledger (a marker row records that it finished; until then
   * each call tries again). `revoked` lists the ledger's revoked records: called only when the marker is absent.
   */
  async ensureBackfilled(revoked: () => Promise<readonly CertificateRecord[]>): Promise<boolean> {
    if (this.backfilled) return false;
    await this.ready();
    if ((await entityOrUndefined(this.table, META_PARTITION, BACKFILL_ROW)) !== undefined) {
      this.backfilled = true;
      return false;
    }
    const records = await revoked();
    for (let i = 0; i < records.length; i += BACKFILL_PARALLEL) {
      await Promise.all(records.slice(i, i + BACKFILL_PARALLEL).map((r) => this.record(r)));
    }
    await this.table.upsertEntity(
      { partitionKey: META_PARTITION, rowKey: BACKFILL_ROW, rows: records.length, completedAt: new Date() },
      "Replace",
    );
    this.backfilled = true;
    return true;
  }

  private async readPartition(partition: string, cutoff: Date): Promise<IndexedRevocation[]> {
    const filter = `PartitionKey eq '${odataString(partition)}' and RowKey gt '${odataString(afterKey(cutoff))}'`;
    const entries: IndexedRevocation[] = [];
    for await (const e of this.table.listEntities<RevocationEntity>({ queryOptions: { filter } })) {
      entries.push(fromEntity(e));
    }
    return entries;
  }
}

/** The lowest RowKey after `cutoff`: '~' sorts after every thumbprint character, so rows at the cutoff itself are not. */
function afterKey(cutoff: Date): string {
  return `${cutoff.toISOString()}_~`;
}

function fromEntity(e: TableEntityResult<RevocationEntity>): IndexedRevocation {
  return {
    thumbprint: e.thumbprint,
    userKey: e.userKey,
    certificateName: e.certificateName,
    ...optional("rootThumbprint", e.rootThumbprint),
    ...optional("notAfter", asDate(e.notAfter)),
    ...optional("revokedAt", asDate(e.revokedAt)),
  };
}

/** The index row a revoked record has, or undefined for any other record. */
function rowOf(record: CertificateRecord): { readonly partitionKey: string; readonly rowKey: string } | undefined {
  if (record.status !== "revoked" || record.thumbprint === undefined) return undefined;
  return {
    partitionKey: indexPartition(record.rootThumbprint),
    rowKey: indexRowKey(record.notAfter, record.thumbprint.toUpperCase()),
  };
}
