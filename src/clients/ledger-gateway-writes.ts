// In the gateways table, partition "writes-<gateway>": the write fence (the newest ticket that wrote, row "fence") and
// the journal of writes sent whose warnings the writer has not raised yet (rows "write-<key>").
// See domain/gateway-write-journal.ts.
import { RestError } from "@azure/data-tables";
import type { TableClient } from "@azure/data-tables";
import type { ExpiredRoot } from "../domain/expired-roots";
import { isOlderTicket } from "../domain/gateway-write-journal";
import type { JournaledWrite, WriteTicket } from "../domain/gateway-write-journal";
import { tableKey } from "../domain/ledger";
import { asDate, deleteIfPresent, entityOrUndefined, odataString } from "./ledger-table";

const FENCE_ROW = "fence";
const WRITE_ROW_PREFIX = "write-";
/** Claims lost to a concurrent claim before giving up (one writer per gateway: a second loss is already odd). */
const CLAIM_ATTEMPTS = 5;

interface FenceEntity {
  at: number;
  seq: number;
  passId: string;
}

interface WriteEntity {
  key: string;
  passId: string;
  at: Date | string;
  /** JSON of the write's lists (added, pruned, roots, restored). */
  entries: string;
}

interface WriteEntries {
  readonly addedRevocations: readonly string[];
  readonly prunedRevocations: readonly string[];
  readonly rootsAdded: readonly string[];
  readonly rootsRemoved: readonly ExpiredRoot[];
  readonly restored: readonly string[];
}

export class GatewayWriteTable {
  constructor(
    private readonly table: TableClient,
    private readonly ready: () => Promise<void>,
  ) {}

  /**
   * Advances the gateway's write fence to `ticket` unless a newer ticket already wrote; false when `ticket` is older
   * (its pass is superseded and must not write). ETag-guarded, so an older claim never overwrites a newer one.
   */
  async claimWrite(gatewayId: string, ticket: WriteTicket, passId: string): Promise<boolean> {
    await this.ready();
    const partitionKey = writesPartition(gatewayId);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const fence = await entityOrUndefined<FenceEntity>(this.table, partitionKey, FENCE_ROW);
      if (fence !== undefined && isOlderTicket(ticket, fence)) return false;
      if (fence !== undefined && !isOlderTicket(fence, ticket)) return true;
      const entity = { partitionKey, rowKey: FENCE_ROW, at: ticket.at, seq: ticket.seq, passId };
      try {
        if (fence === undefined) await this.table.createEntity(entity);
        else await this.table.updateEntity(entity, "Replace", { etag: fence.etag });
        return true;
      } catch (error) {
        // Someone claimed meanwhile: read the fence again and judge against it.
        if (!(error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412))) throw error;
      }
    }
    throw new Error(`the write fence of ${gatewayId} kept changing during ${CLAIM_ATTEMPTS} claims`);
  }

  /** Records a write the gateway accepted (idempotent: the same key is the same write). */
  async journalWrite(gatewayId: string, write: JournaledWrite): Promise<void> {
    await this.ready();
    const entries: WriteEntries = {
      addedRevocations: write.addedRevocations,
      prunedRevocations: write.prunedRevocations,
      rootsAdded: write.rootsAdded,
      rootsRemoved: write.rootsRemoved,
      restored: write.restored,
    };
    const entity: WriteEntity & { partitionKey: string; rowKey: string } = {
      partitionKey: writesPartition(gatewayId),
      rowKey: writeRow(write.key),
      key: write.key,
      passId: write.passId,
      at: write.at,
      entries: JSON.stringify(entries),
    };
    await this.table.upsertEntity(entity, "Merge");
  }

  /** The journaled writes not yet reported, oldest first. */
  async listWrites(gatewayId: string): Promise<JournaledWrite[]> {
    await this.ready();
    const partition = odataString(writesPartition(gatewayId));
    const writes: JournaledWrite[] = [];
    const iter = this.table.listEntities<WriteEntity>({
      queryOptions: {
        filter: `PartitionKey eq '${partition}' and RowKey ge '${WRITE_ROW_PREFIX}' and RowKey lt 'write.'`,
      },
    });
    for await (const e of iter) {
      const entries = JSON.parse(e.entries) as WriteEntries;
      writes.push({
        key: e.key,
        passId: e.passId,
        at: asDate(e.at) ?? new Date(0),
        ...entries,
      });
    }
    return writes.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /** Drops reported writes from the journal. */
  async clearWrites(gatewayId: string, keys: readonly string[]): Promise<void> {
    await this.ready();
    for (const key of keys) await deleteIfPresent(this.table, writesPartition(gatewayId), writeRow(key));
  }
}

function writesPartition(gatewayId: string): string {
  return `writes-${tableKey(gatewayId.toLowerCase())}`;
}

function writeRow(key: string): string {
  return `${WRITE_ROW_PREFIX}${tableKey(key)}`;
}
