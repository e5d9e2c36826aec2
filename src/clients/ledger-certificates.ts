// The certificate inventory (<prefix>Certificates): one row per issuance, partitioned by user, written under
// optimistic concurrency so a revocation racing with an activation is never overwritten.
import { RestError } from "@azure/data-tables";
import type { TableClient, TableEntityResult } from "@azure/data-tables";
import { canTransition, CERTIFICATE_STATUSES, REQUEST_SOURCES, tableKey } from "../domain/ledger";
import type { CertificateRecord, CertificateStatus, RequestSource } from "../domain/ledger";
import { asDate, decodeKey, entityOrUndefined, odataString, oneOf, optional } from "./ledger-table";

interface CertificateEntity {
  partitionKey: string;
  rowKey: string;
  upn: string;
  status: string;
  requestId: string;
  source: string;
  sourceId: string;
  thumbprint?: string;
  serialNumber?: string;
  rootThumbprint?: string;
  notBefore?: Date;
  notAfter?: Date;
  revokedAt?: Date;
  revocationReason?: string;
  requestedAt?: Date;
  certificatePem?: string;
  updatedAt: Date;
}

const MAX_CONCURRENCY_ATTEMPTS = 5;

export class LedgerConflictError extends Error {
  override readonly name = "LedgerConflictError";
}

export class CertificateTable {
  constructor(
    private readonly table: TableClient,
    private readonly ready: () => Promise<void>,
    /**
     * Called after a record is written, with the record it replaced (the revocation index): its failure fails the put,
     * which is safe to retry.
     */
    private readonly written: (
      record: CertificateRecord,
      previous: CertificateRecord | undefined,
    ) => Promise<void> = () => Promise.resolve(),
  ) {}

  /**
   * Inserts or merges a certificate record under optimistic concurrency (ETag), so a revocation racing with an
   * activation is never overwritten; refuses a transition the state machine does not allow.
   */
  async put(record: CertificateRecord): Promise<CertificateRecord> {
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      const current = await this.read(record.userKey, record.certificateName);
      try {
        if (current === undefined) {
          await this.table.createEntity(certificateEntity(record));
        } else {
          const existing = fromEntity(current);
          if (!canTransition(existing.status, record.status)) {
            throw new LedgerConflictError(
              `certificate ${record.certificateName} cannot move from ${existing.status} to ${record.status}`,
            );
          }
          await this.table.updateEntity(certificateEntity(record), "Merge", { etag: current.etag });
        }
        // After the record (as merged): an index row never names a revocation the ledger does not hold. A retried
        // put (revoked to revoked is allowed) writes it again if this failed.
        const previous = current === undefined ? undefined : fromEntity(current);
        await this.written(previous === undefined ? record : { ...previous, ...record }, previous);
        return record;
      } catch (error) {
        const lostRace = error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412);
        if (!lostRace || attempt >= MAX_CONCURRENCY_ATTEMPTS) throw error;
      }
    }
  }

  async get(userKey: string, certificateName: string): Promise<CertificateRecord | undefined> {
    await this.ready();
    const entity = await this.read(userKey, certificateName);
    return entity === undefined ? undefined : fromEntity(entity);
  }

  listUser(userKey: string): Promise<CertificateRecord[]> {
    return this.query(`PartitionKey eq '${odataString(tableKey(userKey))}'`);
  }

  listByStatus(status: CertificateStatus): Promise<CertificateRecord[]> {
    return this.query(`status eq '${odataString(status)}'`);
  }

  findByThumbprint(thumbprint: string): Promise<CertificateRecord[]> {
    return this.query(`thumbprint eq '${odataString(thumbprint)}'`);
  }

  /** Certificates in `status`, user after user (the table's PartitionKey order), from the user after `afterUserKey`. */
  async *streamByStatus(status: CertificateStatus, afterUserKey?: string): AsyncIterable<CertificateRecord> {
    await this.ready();
    const after = afterUserKey === undefined ? "" : ` and PartitionKey gt '${odataString(tableKey(afterUserKey))}'`;
    const filter = `status eq '${odataString(status)}'${after}`;
    for await (const e of this.table.listEntities<CertificateEntity>({ queryOptions: { filter } })) {
      yield fromEntity(e);
    }
  }

  private read(userKey: string, certificateName: string): Promise<TableEntityResult<CertificateEntity> | undefined> {
    return entityOrUndefined<CertificateEntity>(this.table, tableKey(userKey), tableKey(certificateName));
  }

  private async query(filter: string): Promise<CertificateRecord[]> {
    await this.ready();
    const records: CertificateRecord[] = [];
    for await (const e of this.table.listEntities<CertificateEntity>({ queryOptions: { filter } })) {
      records.push(fromEntity(e));
    }
    return records;
  }
}

/** The table row of a record, exactly as put() writes it (the capacity bench fills a large ledger with it). */
export function certificateEntity(r: CertificateRecord): CertificateEntity {
  return {
    partitionKey: tableKey(r.userKey),
    rowKey: tableKey(r.certificateName),
    upn: r.upn,
    status: r.status,
    requestId: r.requestId,
    source: r.source,
    sourceId: r.sourceId,
    updatedAt: r.updatedAt,
    ...(r.thumbprint === undefined ? {} : { thumbprint: r.thumbprint }),
    ...(r.serialNumber === undefined ? {} : { serialNumber: r.serialNumber }),
    ...(r.rootThumbprint === undefined ? {} : { rootThumbprint: r.rootThumbprint }),
    ...(r.notBefore === undefined ? {} : { notBefore: r.notBefore }),
    ...(r.notAfter === undefined ? {} : { notAfter: r.notAfter }),
    ...(r.revokedAt === undefined ? {} : { revokedAt: r.revokedAt }),
    ...(r.revocationReason === undefined ? {} : { revocationReason: r.revocationReason }),
    ...(r.requestedAt === undefined ? {} : { requestedAt: r.requestedAt }),
    ...(r.certificatePem === undefined ? {} : { certificatePem: r.certificatePem }),
  };
}

function fromEntity(e: TableEntityResult<CertificateEntity>): CertificateRecord {
  return {
    userKey: decodeKey(e.partitionKey),
    certificateName: decodeKey(e.rowKey),
    upn: e.upn,
    status: oneOf(CERTIFICATE_STATUSES, e.status, "status"),
    requestId: e.requestId,
    source: oneOf(REQUEST_SOURCES, e.source, "source") satisfies RequestSource,
    sourceId: e.sourceId,
    updatedAt: asDate(e.updatedAt) ?? new Date(0),
    ...optional("thumbprint", e.thumbprint),
    ...optional("serialNumber", e.serialNumber),
    ...optional("rootThumbprint", e.rootThumbprint),
    ...optional("notBefore", asDate(e.notBefore)),
    ...optional("notAfter", asDate(e.notAfter)),
    ...optional("revokedAt", asDate(e.revokedAt)),
    ...optional("revocationReason", e.revocationReason),
    ...optional("requestedAt", asDate(e.requestedAt)),
    ...optional("certificatePem", e.certificatePem),
  };
}
