// The ledger in Azure Table Storage: the certificate inventory (system of record for gateway sync, expiry checks and
// the API) and the append-only audit table. Writes are idempotent so activity retries are safe.
import { RestError, TableClient } from "@azure/data-tables";
import type { TableEntityResult, TransactionAction } from "@azure/data-tables";
import type { Config } from "../config";
import { tableClient } from "./storage";
import { auditRowKey, canTransition, CERTIFICATE_STATUSES, REQUEST_SOURCES, tableKey } from "../domain/ledger";
import type {
  AuditEntry,
  CertificateRecord,
  CertificateStatus,
  GatewaySyncRecord,
  OffboardingRecord,
  RequestSource,
} from "../domain/ledger";

type LedgerConfig = Parameters<typeof tableClient>[0] & Pick<Config, "LEDGER_TABLE_PREFIX">;

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
  updatedAt: Date;
}

interface AuditEntity {
  partitionKey: string;
  rowKey: string;
  id: string;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  reason: string;
  source: string;
  requestId?: string;
  details?: string;
}

const MAX_CONCURRENCY_ATTEMPTS = 5;
/** Entities in one table transaction (the service's limit). */
const MAX_BATCH = 100;

export class LedgerConflictError extends Error {
  override readonly name = "LedgerConflictError";
}

export class Ledger {
  private readonly ensured = new Set<TableClient>();

  constructor(
    private readonly certificates: TableClient,
    private readonly audit: TableClient,
    private readonly gateways: TableClient,
    private readonly users: TableClient,
  ) {}

  static fromConfig(config: LedgerConfig): Ledger {
    const prefix = config.LEDGER_TABLE_PREFIX;
    return new Ledger(
      tableClient(config, `${prefix}Certificates`),
      tableClient(config, `${prefix}Audit`),
      tableClient(config, `${prefix}Gateways`),
      tableClient(config, `${prefix}Users`),
    );
  }

  /** Creates the tables when absent (safe to call repeatedly; cached per process). */
  async ensureTables(): Promise<void> {
    await Promise.all([
      this.ensure(this.certificates),
      this.ensure(this.audit),
      this.ensure(this.gateways),
      this.ensure(this.users),
    ]);
  }

  async recordGatewaySync(record: GatewaySyncRecord): Promise<void> {
    await this.ensureTables();
    await this.gateways.upsertEntity(
      {
        partitionKey: "gateway",
        rowKey: tableKey(record.gatewayId.toLowerCase()),
        gatewayId: record.gatewayId,
        lastSyncAt: record.lastSyncAt,
        outcome: record.outcome,
        detail: record.detail,
        revokedCount: record.revokedCount,
        rootCount: record.rootCount,
      },
      "Replace",
    );
  }

  async getGatewaySync(gatewayId: string): Promise<GatewaySyncRecord | undefined> {
    await this.ensureTables();
    const e = await entityOrUndefined<{
      gatewayId: string;
      lastSyncAt: Date | string;
      outcome: string;
      detail: string;
      revokedCount: number;
      rootCount: number;
    }>(this.gateways, "gateway", tableKey(gatewayId.toLowerCase()));
    return e === undefined
      ? undefined
      : {
          gatewayId: e.gatewayId,
          lastSyncAt: asDate(e.lastSyncAt) ?? new Date(0),
          outcome: e.outcome,
          detail: e.detail,
          revokedCount: e.revokedCount,
          rootCount: e.rootCount,
        };
  }

  /** Records a user's offboarding (the latest one wins): issuances requested before it end revoked. */
  async recordOffboarding(record: OffboardingRecord): Promise<void> {
    await this.ensureTables();
    await this.users.upsertEntity(
      {
        partitionKey: tableKey(record.userKey),
        rowKey: "offboarding",
        offboardedAt: record.offboardedAt,
        requestId: record.requestId,
        reason: record.reason,
      },
      "Replace",
    );
  }

  async getOffboarding(userKey: string): Promise<OffboardingRecord | undefined> {
    await this.ensureTables();
    const e = await entityOrUndefined<{ offboardedAt: Date | string; requestId: string; reason: string }>(
      this.users,
      tableKey(userKey),
      "offboarding",
    );
    return e === undefined
      ? undefined
      : { userKey, offboardedAt: asDate(e.offboardedAt) ?? new Date(0), requestId: e.requestId, reason: e.reason };
  }

  /**
   * Records that the live sessions of these users must be ended on this gateway, once their revocations are on it.
   * Written before the gateway PUT that carries the revocations and cleared only after the sessions are ended, so a
   * writer that fails in between still ends them on its next pass. Idempotent.
   */
  async markSessionsToEnd(gatewayId: string, users: readonly string[], at: Date): Promise<void> {
    if (users.length === 0) return;
    await this.ensureTables();
    const partitionKey = sessionsPartition(gatewayId);
    const actions: TransactionAction[] = [...new Set(users.map((u) => u.toLowerCase()))].map((user) => [
      "upsert",
      { partitionKey, rowKey: tableKey(user), user, markedAt: at },
      "Replace",
    ]);
    // One partition, so a burst of offboardings is marked in a few batch requests rather than one each.
    for (let i = 0; i < actions.length; i += MAX_BATCH) {
      await this.gateways.submitTransaction(actions.slice(i, i + MAX_BATCH));
    }
  }

  /** Users (lower-cased UPNs) whose sessions on this gateway are still to be ended. */
  async listSessionsToEnd(gatewayId: string): Promise<string[]> {
    await this.ensureTables();
    const users: string[] = [];
    const iter = this.gateways.listEntities<{ user: string }>({
      queryOptions: { filter: `PartitionKey eq '${odataString(sessionsPartition(gatewayId))}'`, select: ["user"] },
    });
    for await (const e of iter) users.push(e.user);
    return users;
  }

  async clearSessionsToEnd(gatewayId: string, users: readonly string[]): Promise<void> {
    await this.ensureTables();
    const partitionKey = sessionsPartition(gatewayId);
    const keys = [...new Set(users.map((u) => tableKey(u.toLowerCase())))];
    for (let i = 0; i < keys.length; i += MAX_BATCH) {
      const chunk = keys.slice(i, i + MAX_BATCH);
      try {
        await this.gateways.submitTransaction(chunk.map((rowKey) => ["delete", { partitionKey, rowKey }]));
      } catch (error) {
        // A batch fails whole when one entity is already gone (a retried clear): delete those one by one.
        if (!(error instanceof RestError && error.statusCode === 404)) throw error;
        for (const rowKey of chunk) await this.deleteIfPresent(this.gateways, partitionKey, rowKey);
      }
    }
  }

  private async deleteIfPresent(table: TableClient, partitionKey: string, rowKey: string): Promise<void> {
    try {
      await table.deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 404)) throw error;
    }
  }

  /**
   * Inserts or merges a certificate record under optimistic concurrency (ETag), so a revocation racing with an
   * activation is never overwritten; refuses a transition the state machine does not allow.
   */
  async putCertificate(record: CertificateRecord): Promise<CertificateRecord> {
    await this.ensureTables();
    for (let attempt = 1; ; attempt++) {
      const current = await this.readEntity(record.userKey, record.certificateName);
      try {
        if (current === undefined) {
          await this.certificates.createEntity(toEntity(record));
        } else {
          const existing = fromEntity(current);
          if (!canTransition(existing.status, record.status)) {
            throw new LedgerConflictError(
              `certificate ${record.certificateName} cannot move from ${existing.status} to ${record.status}`,
            );
          }
          await this.certificates.updateEntity(toEntity(record), "Merge", { etag: current.etag });
        }
        return record;
      } catch (error) {
        const lostRace = error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412);
        if (!lostRace || attempt >= MAX_CONCURRENCY_ATTEMPTS) throw error;
      }
    }
  }

  async getCertificate(userKey: string, certificateName: string): Promise<CertificateRecord | undefined> {
    await this.ensureTables();
    const entity = await this.readEntity(userKey, certificateName);
    return entity === undefined ? undefined : fromEntity(entity);
  }

  private readEntity(
    userKey: string,
    certificateName: string,
  ): Promise<TableEntityResult<CertificateEntity> | undefined> {
    return entityOrUndefined<CertificateEntity>(this.certificates, tableKey(userKey), tableKey(certificateName));
  }

  async listUserCertificates(userKey: string): Promise<CertificateRecord[]> {
    return this.query(`PartitionKey eq '${odataString(tableKey(userKey))}'`);
  }

  async listByStatus(status: CertificateStatus): Promise<CertificateRecord[]> {
    return this.query(`status eq '${odataString(status)}'`);
  }

  async findByThumbprint(thumbprint: string): Promise<CertificateRecord[]> {
    return this.query(`thumbprint eq '${odataString(thumbprint)}'`);
  }

  /** Appends an audit entry once: a retry with the same id is a no-op. */
  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.ensureTables();
    const entity: AuditEntity = {
      partitionKey: tableKey(entry.subject),
      rowKey: auditRowKey(entry.at, entry.id),
      id: entry.id,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      reason: entry.reason,
      source: entry.source,
      ...(entry.requestId === undefined ? {} : { requestId: entry.requestId }),
      ...(entry.details === undefined ? {} : { details: JSON.stringify(entry.details) }),
    };
    // The row key holds the time; a retry recomputes the same id but maybe another instant, so check the id first.
    const already = await this.auditExists(entry.subject, entry.id);
    if (already) return;
    try {
      await this.audit.createEntity(entity);
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 409) return;
      throw error;
    }
  }

  async listAudit(subject: string): Promise<AuditEntry[]> {
    await this.ensureTables();
    const entries: AuditEntry[] = [];
    const iter = this.audit.listEntities<AuditEntity>({
      queryOptions: { filter: `PartitionKey eq '${odataString(tableKey(subject))}'` },
    });
    for await (const e of iter) entries.push(fromAuditEntity(e));
    return entries;
  }

  private async auditExists(subject: string, id: string): Promise<boolean> {
    const iter = this.audit.listEntities<AuditEntity>({
      queryOptions: {
        filter: `PartitionKey eq '${odataString(tableKey(subject))}' and id eq '${odataString(id)}'`,
        select: ["id"],
      },
    });
    for await (const _ of iter) return true;
    return false;
  }

  private async query(filter: string): Promise<CertificateRecord[]> {
    await this.ensureTables();
    const records: CertificateRecord[] = [];
    for await (const e of this.certificates.listEntities<CertificateEntity>({ queryOptions: { filter } })) {
      records.push(fromEntity(e));
    }
    return records;
  }

  private async ensure(table: TableClient): Promise<void> {
    if (this.ensured.has(table)) return;
    try {
      await table.createTable();
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
    }
    this.ensured.add(table);
  }
}

/** The Gateways table partition of one gateway's pending session ends (the sync records live under "gateway"). */
function sessionsPartition(gatewayId: string): string {
  return `sessions-${tableKey(gatewayId.toLowerCase())}`;
}

/** One entity, or undefined when the table has none under these keys. */
async function entityOrUndefined<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<TableEntityResult<T> | undefined> {
  try {
    return await table.getEntity<T>(partitionKey, rowKey);
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return undefined;
    throw error;
  }
}

function odataString(value: string): string {
  return value.replace(/'/g, "''");
}

function toEntity(r: CertificateRecord): CertificateEntity {
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
  };
}

function fromAuditEntity(e: TableEntityResult<AuditEntity>): AuditEntry {
  return {
    id: e.id,
    at: asDate(e.at) ?? new Date(0),
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    reason: e.reason,
    source: e.source,
    ...optional("requestId", e.requestId),
    ...(e.details === undefined
      ? {}
      : { details: JSON.parse(e.details) as Readonly<Record<string, string | number | boolean>> }),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function asDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value : new Date(value);
}

function decodeKey(value: string): string {
  return value.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function oneOf<T extends string>(allowed: readonly T[], value: string, field: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`ledger entity has unknown ${field} '${value}'`);
}
