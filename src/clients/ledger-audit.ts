// The append-only audit table (<prefix>Audit): who did what to which subject, when, why; each action written once.
import { RestError } from "@azure/data-tables";
import type { TableClient, TableEntityResult } from "@azure/data-tables";
import { auditRowKey, tableKey } from "../domain/ledger";
import type { AuditEntry } from "../domain/ledger";
import { asDate, odataString, optional } from "./ledger-table";

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

export class AuditTable {
  constructor(
    private readonly table: TableClient,
    private readonly ready: () => Promise<void>,
  ) {}

  /** Appends an audit entry once: a retry with the same id is a no-op. */
  async append(entry: AuditEntry): Promise<void> {
    await this.ready();
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
    if (await this.exists(entry.subject, entry.id)) return;
    try {
      await this.table.createEntity(entity);
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 409) return;
      throw error;
    }
  }

  async list(subject: string): Promise<AuditEntry[]> {
    await this.ready();
    const entries: AuditEntry[] = [];
    const iter = this.table.listEntities<AuditEntity>({
      queryOptions: { filter: `PartitionKey eq '${odataString(tableKey(subject))}'` },
    });
    for await (const e of iter) entries.push(fromAuditEntity(e));
    return entries;
  }

  private async exists(subject: string, id: string): Promise<boolean> {
    const iter = this.table.listEntities<AuditEntity>({
      queryOptions: {
        filter: `PartitionKey eq '${odataString(tableKey(subject))}' and id eq '${odataString(id)}'`,
        select: ["id"],
      },
    });
    for await (const _ of iter) return true;
    return false;
  }
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
