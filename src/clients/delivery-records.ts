// The deliveries table (<prefix>Deliveries): one row per delivered certificate, keyed by the request id. It says where
// the package and passphrase are, until when, and how far the delivery got; the passphrase itself is never here, and
// the one-time download token only as its SHA-256. Every change of state is a conditional write (If-Match on the
// row's ETag), so of two parallel reads of the passphrase, or two uses of the download link, exactly one wins.
import { RestError } from "@azure/data-tables";
import type { TableClient } from "@azure/data-tables";
import { DELIVERY_STATES } from "../domain/delivery";
import type { DeliveryState } from "../domain/delivery";
import { asDate, ensureTable, entityOrUndefined, oneOf, optional } from "./ledger-table";

const ROW = "delivery";

export interface NewDelivery {
  readonly requestId: string;
  /** The durable instance the collection and download events go to. */
  readonly instanceId: string;
  /** Lower-cased UPN of the certificate's owner. */
  readonly upn: string;
  readonly certificateName: string;
  readonly thumbprint: string;
  readonly notAfter: Date;
  readonly linkExpiresAt: Date;
}

export interface DeliveryRecord extends NewDelivery {
  readonly state: DeliveryState;
  readonly collectedAt?: Date;
  readonly collectedBy?: string;
  readonly downloadTokenHash?: string;
  readonly downloadedAt?: Date;
  readonly closedAt?: Date;
  /** The row's ETag: what a transition must match. */
  readonly etag: string;
}

export interface DeliveryChange {
  readonly state: DeliveryState;
  readonly collectedAt?: Date;
  readonly collectedBy?: string;
  readonly downloadTokenHash?: string;
  readonly downloadedAt?: Date;
  readonly closedAt?: Date;
}

interface DeliveryEntity {
  partitionKey: string;
  rowKey: string;
  instanceId: string;
  upn: string;
  certificateName: string;
  thumbprint: string;
  notAfter: Date;
  linkExpiresAt: Date;
  state: string;
  collectedAt?: Date;
  collectedBy?: string;
  downloadTokenHash?: string;
  downloadedAt?: Date;
  closedAt?: Date;
}

export class DeliveryTable {
  private readonly ensured = new Set<TableClient>();

  constructor(private readonly table: TableClient) {}

  private ready(): Promise<void> {
    return ensureTable(this.table, this.ensured);
  }

  /** Records a ready delivery; a repeat (an activity retried) keeps the row as it is. */
  async open(delivery: NewDelivery): Promise<void> {
    await this.ready();
    const entity: DeliveryEntity = {
      partitionKey: delivery.requestId,
      rowKey: ROW,
      instanceId: delivery.instanceId,
      upn: delivery.upn,
      certificateName: delivery.certificateName,
      thumbprint: delivery.thumbprint,
      notAfter: delivery.notAfter,
      linkExpiresAt: delivery.linkExpiresAt,
      state: "ready",
    };
    try {
      await this.table.createEntity(entity);
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
    }
  }

  async get(requestId: string): Promise<DeliveryRecord | undefined> {
    await this.ready();
    const e = await entityOrUndefined<DeliveryEntity>(this.table, requestId, ROW);
    if (e === undefined) return undefined;
    return {
      requestId,
      instanceId: e.instanceId,
      upn: e.upn,
      certificateName: e.certificateName,
      thumbprint: e.thumbprint,
      notAfter: asDate(e.notAfter) ?? new Date(0),
      linkExpiresAt: asDate(e.linkExpiresAt) ?? new Date(0),
      state: oneOf(DELIVERY_STATES, e.state, "state"),
      ...optional("collectedAt", asDate(e.collectedAt)),
      ...optional("collectedBy", e.collectedBy),
      ...optional("downloadTokenHash", e.downloadTokenHash),
      ...optional("downloadedAt", asDate(e.downloadedAt)),
      ...optional("closedAt", asDate(e.closedAt)),
      etag: e.etag,
    };
  }

  /**
   * Moves `record` to a new state if the row is still exactly what was read; false when another writer got there
   * first (412) or the row is gone.
   */
  async transition(record: DeliveryRecord, change: DeliveryChange): Promise<boolean> {
    await this.ready();
    const entity = {
      partitionKey: record.requestId,
      rowKey: ROW,
      state: change.state,
      ...optional("collectedAt", change.collectedAt),
      ...optional("collectedBy", change.collectedBy),
      ...optional("downloadTokenHash", change.downloadTokenHash),
      ...optional("downloadedAt", change.downloadedAt),
      ...optional("closedAt", change.closedAt),
    };
    try {
      await this.table.updateEntity(entity, "Merge", { etag: record.etag });
      return true;
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 412 || error.statusCode === 404)) return false;
      throw error;
    }
  }
}
