// The alerts table (<prefix>Alerts): each alert recorded once under its key, listed newest first, with whether it
// reached the webhook; and each gateway's revocation capacity state, so a crossing of the line alerts once.
import { RestError } from "@azure/data-tables";
import type { TableClient, TableEntityResult } from "@azure/data-tables";
import type { Config } from "../config";
import { tableKey } from "../domain/ledger";
import type { AlertMessage, AlertSeverity } from "../domain/alert-payload";
import { tableClient } from "./storage";
import { asDate, entityOrUndefined, ensureTable } from "./ledger-table";

const BY_KEY = "key";
const TIMELINE = "timeline";
const STATE = "state";
/** Larger than any epoch millisecond we will see: row keys of the timeline sort newest first. */
const MAX_MS = 9_999_999_999_999;

export type AlertDelivery = "pending" | "sending" | "sent" | "logged";

/** How long a delivery claim holds off other runs; a claim older than this was lost (its run crashed). */
export const DELIVERY_CLAIM_MS = 60_000;

export interface AlertRecord extends AlertMessage {
  readonly delivery: AlertDelivery;
  readonly deliveredAt?: string;
}

interface AlertEntity {
  partitionKey: string;
  rowKey: string;
  key: string;
  severity: string;
  title: string;
  detail: string;
  subject?: string;
  kind?: string;
  details?: string;
  raisedAt: Date;
  delivery: string;
  deliveredAt?: Date;
  /** When a run claimed the delivery ("sending"). */
  sendingSince?: Date;
  /** On the by-key row: the timeline row's key. */
  timelineRowKey?: string;
}

interface CapacityEntity {
  partitionKey: string;
  rowKey: string;
  above: boolean;
  crossing: number;
}

export interface AlertPage {
  readonly alerts: AlertRecord[];
  readonly continuationToken?: string;
}

export class AlertTable {
  private readonly ensured = new Set<TableClient>();

  constructor(private readonly table: TableClient) {}

  static fromConfig(config: Parameters<typeof tableClient>[0] & Pick<Config, "LEDGER_TABLE_PREFIX">): AlertTable {
    return new AlertTable(tableClient(config, `${config.LEDGER_TABLE_PREFIX}Alerts`));
  }

  /**
   * Records the alert under its key unless one is recorded already; answers the recorded one and whether this call
   * created it. The by-key row is the claim (create fails with 409 for a repeat); the timeline row is an upsert of
   * the claim's own row key, so a retry after a failure between the two completes it.
   */
  async recordOnce(alert: AlertMessage): Promise<{ readonly record: AlertRecord; readonly created: boolean }> {
    await ensureTable(this.table, this.ensured);
    const timelineRowKey = `${String(MAX_MS - Date.parse(alert.raisedAt)).padStart(13, "0")}_${tableKey(alert.key)}`;
    const entity = toEntity(alert, BY_KEY, tableKey(alert.key), "pending", timelineRowKey);
    let created = true;
    let claim: AlertEntity = entity;
    try {
      await this.table.createEntity(entity);
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
      created = false;
      const existing = await entityOrUndefined<AlertEntity>(this.table, BY_KEY, tableKey(alert.key));
      if (existing === undefined)
        throw new Error(`alert ${alert.key} was claimed but cannot be read`, { cause: error });
      claim = existing;
    }
    const record = fromEntity(claim);
    await this.table.upsertEntity(
      { ...toEntity(record, TIMELINE, claim.timelineRowKey ?? timelineRowKey, record.delivery), key: record.key },
      "Replace",
    );
    return { record, created };
  }

  /**
   * Claims the delivery of a pending alert for this run (ETag-guarded), so two runs at once (a duplicated activity)
   * do not both post it: "claimed", "delivered" (another run finished it) or "busy" (another run holds a live claim).
   */
  async claimDelivery(key: string, now: Date): Promise<"claimed" | "delivered" | "busy"> {
    const claim = await entityOrUndefined<AlertEntity>(this.table, BY_KEY, tableKey(key));
    if (claim === undefined) throw new Error(`alert ${key} is not recorded`);
    if (claim.delivery !== "pending" && claim.delivery !== "sending") return "delivered";
    const since = asDate(claim.sendingSince)?.getTime() ?? 0;
    if (claim.delivery === "sending" && now.getTime() - since < DELIVERY_CLAIM_MS) return "busy";
    try {
      await this.table.updateEntity(
        { partitionKey: BY_KEY, rowKey: claim.rowKey, delivery: "sending", sendingSince: now },
        "Merge",
        { etag: claim.etag },
      );
      return "claimed";
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 412) return "busy";
      throw error;
    }
  }

  /** Gives a claimed delivery back (the webhook failed): the next run delivers it. */
  async releaseDelivery(key: string): Promise<void> {
    await this.table.updateEntity({ partitionKey: BY_KEY, rowKey: tableKey(key), delivery: "pending" }, "Merge");
  }

  /** Notes how the alert was delivered, on both of its rows. */
  async markDelivered(record: AlertRecord, delivery: AlertDelivery, at: Date): Promise<void> {
    const claim = await entityOrUndefined<AlertEntity>(this.table, BY_KEY, tableKey(record.key));
    const patch = { delivery, deliveredAt: at };
    await this.table.updateEntity({ partitionKey: BY_KEY, rowKey: tableKey(record.key), ...patch }, "Merge");
    if (claim?.timelineRowKey !== undefined) {
      await this.table.updateEntity({ partitionKey: TIMELINE, rowKey: claim.timelineRowKey, ...patch }, "Merge");
    }
  }

  async get(key: string): Promise<AlertRecord | undefined> {
    await ensureTable(this.table, this.ensured);
    const entity = await entityOrUndefined<AlertEntity>(this.table, BY_KEY, tableKey(key));
    return entity === undefined ? undefined : fromEntity(entity);
  }

  /** The newest alerts first, `limit` a page; pass the answer's continuationToken for the next page. */
  async listRecent(limit: number, continuationToken?: string): Promise<AlertPage> {
    await ensureTable(this.table, this.ensured);
    const pages = this.table
      .listEntities<AlertEntity>({ queryOptions: { filter: `PartitionKey eq '${TIMELINE}'` } })
      .byPage({ maxPageSize: limit, ...(continuationToken === undefined ? {} : { continuationToken }) });
    const page = await pages.next();
    if (page.done === true) return { alerts: [] };
    const alerts = page.value.map(fromEntity);
    return {
      alerts,
      ...(page.value.continuationToken === undefined ? {} : { continuationToken: page.value.continuationToken }),
    };
  }

  /**
   * Records whether the gateway's list is at or above the alert line and answers the number of the current crossing
   * (it grows each time the list goes back above the line). Idempotent: a retry answers the same crossing.
   */
  async trackCapacity(gatewayId: string, above: boolean): Promise<number> {
    await ensureTable(this.table, this.ensured);
    const rowKey = tableKey(`capacity:${gatewayId.toLowerCase()}`);
    const current = await entityOrUndefined<CapacityEntity>(this.table, STATE, rowKey);
    const wasAbove = current?.above ?? false;
    const crossing = (current?.crossing ?? 0) + (above && !wasAbove ? 1 : 0);
    if (current === undefined || wasAbove !== above) {
      const entity: CapacityEntity = { partitionKey: STATE, rowKey, above, crossing };
      if (current === undefined) {
        try {
          await this.table.createEntity(entity);
        } catch (error) {
          // Another run recorded it first: answer what it recorded.
          if (!(error instanceof RestError && error.statusCode === 409)) throw error;
          return this.trackCapacity(gatewayId, above);
        }
      } else {
        await this.table.updateEntity(entity, "Replace", { etag: current.etag });
      }
    }
    return crossing;
  }
}

function toEntity(
  alert: AlertMessage,
  partitionKey: string,
  rowKey: string,
  delivery: AlertDelivery,
  timelineRowKey?: string,
): AlertEntity {
  return {
    partitionKey,
    rowKey,
    key: alert.key,
    severity: alert.severity,
    title: alert.title,
    detail: alert.detail,
    raisedAt: new Date(alert.raisedAt),
    delivery,
    ...(alert.subject === undefined ? {} : { subject: alert.subject }),
    ...(alert.kind === undefined ? {} : { kind: alert.kind }),
    ...(alert.details === undefined ? {} : { details: JSON.stringify(alert.details) }),
    ...(timelineRowKey === undefined ? {} : { timelineRowKey }),
  };
}

function fromEntity(e: TableEntityResult<AlertEntity> | AlertEntity): AlertRecord {
  const deliveredAt = asDate(e.deliveredAt);
  return {
    key: e.key,
    severity: e.severity as AlertSeverity,
    title: e.title,
    detail: e.detail,
    raisedAt: (asDate(e.raisedAt) ?? new Date(0)).toISOString(),
    delivery: e.delivery as AlertDelivery,
    ...(e.subject === undefined ? {} : { subject: e.subject }),
    ...(e.kind === undefined ? {} : { kind: e.kind }),
    ...(e.details === undefined
      ? {}
      : { details: JSON.parse(e.details) as Readonly<Record<string, string | number | boolean>> }),
    ...(deliveredAt === undefined ? {} : { deliveredAt: deliveredAt.toISOString() }),
  };
}
