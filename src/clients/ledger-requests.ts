// The requests table (<prefix>Requests): per accepted request (keyed by its public id), the durable instance it runs
// as, its kind and user, who submitted it and when. Written once: a repeated request keeps the first submitter and time.
import { RestError } from "@azure/data-tables";
import type { TableClient } from "@azure/data-tables";
import { REQUEST_KINDS } from "../domain/requests";
import type { RequestRecord } from "../domain/requests";
import { asDate, entityOrUndefined, oneOf, optional } from "./ledger-table";

const ROW = "request";

interface RequestEntity {
  partitionKey: string;
  rowKey: string;
  instanceId: string;
  kind: string;
  upn: string;
  submittedBy: string;
  submitterObjectId?: string;
  createdAt: Date;
}

export class RequestTable {
  constructor(
    private readonly table: TableClient,
    private readonly ready: () => Promise<void>,
  ) {}

  /** Records the request unless it is recorded already (a repeat, or a racing twin): the first record stands. */
  async record(record: RequestRecord): Promise<RequestRecord> {
    await this.ready();
    const existing = await this.get(record.requestId);
    if (existing !== undefined) return existing;
    const entity: RequestEntity = {
      partitionKey: record.requestId,
      rowKey: ROW,
      instanceId: record.instanceId,
      kind: record.kind,
      upn: record.upn,
      submittedBy: record.submittedBy,
      ...optional("submitterObjectId", record.submitterObjectId),
      createdAt: record.createdAt,
    };
    try {
      await this.table.createEntity(entity);
      return record;
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
      return (await this.get(record.requestId)) ?? record;
    }
  }

  async get(requestId: string): Promise<RequestRecord | undefined> {
    await this.ready();
    const e = await entityOrUndefined<RequestEntity>(this.table, requestId, ROW);
    if (e === undefined) return undefined;
    return {
      requestId,
      instanceId: e.instanceId,
      kind: oneOf(REQUEST_KINDS, e.kind, "kind"),
      upn: e.upn,
      submittedBy: e.submittedBy,
      ...optional("submitterObjectId", e.submitterObjectId),
      createdAt: asDate(e.createdAt) ?? new Date(0),
    };
  }
}
