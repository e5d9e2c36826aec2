// What a root rotation keeps outside its history (<prefix>Rotations), partitioned by the rotation: the root it rotates
// away from (written once at its start, so a rotation started again after a failure rotates away from the same root),
// and one row per reissued user, so the collection check reads its own rows instead of carrying thousands of request
// ids through the history. A user's row is marked `settled` once its request has ended (collected, expired, refused).
import { RestError } from "@azure/data-tables";
import type { TableClient } from "@azure/data-tables";
import type { Config } from "../config";
import { tableClient } from "./storage";
import { ensureTable, entityOrUndefined, odataString } from "./ledger-table";
import type { RootRef } from "../domain/rotation-run";

export interface RotationRenewal {
  readonly rotationId: string;
  /** Lower-cased UPN. */
  readonly userKey: string;
  readonly requestId: string;
  readonly instanceId: string;
  /** The request has ended: `collected` says whether the user collected the new certificate. */
  readonly settled: boolean;
  readonly collected: boolean;
  /** It ended without a certificate (refused: offboarded meanwhile, no longer in the VPN group; or failed). */
  readonly refused: boolean;
}

const ROOT_ROW = "old-root";
/** Users' rows sort after "user:"; the root's row is not one of them. */
const USER_ROW = "user:";

interface RootEntity {
  partitionKey: string;
  rowKey: string;
  name: string;
  thumbprint: string;
}

interface RenewalEntity {
  partitionKey: string;
  rowKey: string;
  requestId: string;
  instanceId: string;
  settled: boolean;
  collected: boolean;
  refused: boolean;
}

export class RotationTable {
  readonly #ensured = new Set<TableClient>();

  constructor(private readonly table: TableClient) {}

  static fromConfig(config: Parameters<typeof tableClient>[0] & Pick<Config, "LEDGER_TABLE_PREFIX">): RotationTable {
    return new RotationTable(tableClient(config, `${config.LEDGER_TABLE_PREFIX}Rotations`));
  }

  /** The root the rotation rotates away from: the first one recorded stands (a racing twin reads it back). */
  async oldRoot(rotationId: string, current: () => Promise<RootRef>): Promise<RootRef> {
    await ensureTable(this.table, this.#ensured);
    const existing = await entityOrUndefined<RootEntity>(this.table, rotationId, ROOT_ROW);
    if (existing !== undefined) return { name: existing.name, thumbprint: existing.thumbprint };
    const root = await current();
    try {
      await this.table.createEntity<RootEntity>({ partitionKey: rotationId, rowKey: ROOT_ROW, ...root });
      return root;
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
      const raced = await entityOrUndefined<RootEntity>(this.table, rotationId, ROOT_ROW);
      return raced === undefined ? root : { name: raced.name, thumbprint: raced.thumbprint };
    }
  }

  /** Records a started renewal; a repeat (a retried batch) keeps the row as it is. */
  async record(renewal: Pick<RotationRenewal, "rotationId" | "userKey" | "requestId" | "instanceId">): Promise<void> {
    await ensureTable(this.table, this.#ensured);
    const entity: RenewalEntity = {
      partitionKey: renewal.rotationId,
      rowKey: `${USER_ROW}${encodeURIComponent(renewal.userKey)}`,
      requestId: renewal.requestId,
      instanceId: renewal.instanceId,
      settled: false,
      collected: false,
      refused: false,
    };
    try {
      await this.table.createEntity(entity);
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
    }
  }

  async settle(renewal: RotationRenewal): Promise<void> {
    await ensureTable(this.table, this.#ensured);
    await this.table.updateEntity(
      {
        partitionKey: renewal.rotationId,
        rowKey: `${USER_ROW}${encodeURIComponent(renewal.userKey)}`,
        settled: true,
        collected: renewal.collected,
        refused: renewal.refused,
      },
      "Merge",
    );
  }

  /** Every renewal of the rotation (`open` only: those not settled yet). */
  async list(rotationId: string, open = false): Promise<RotationRenewal[]> {
    await ensureTable(this.table, this.#ensured);
    const users = `RowKey ge '${USER_ROW}' and RowKey lt 'user;'`;
    const filter = `PartitionKey eq '${odataString(rotationId)}' and ${users}${open ? " and settled eq false" : ""}`;
    const rows: RotationRenewal[] = [];
    for await (const e of this.table.listEntities<RenewalEntity>({ queryOptions: { filter } })) {
      rows.push({
        rotationId,
        userKey: decodeURIComponent(e.rowKey.slice(USER_ROW.length)),
        requestId: e.requestId,
        instanceId: e.instanceId,
        settled: e.settled,
        collected: e.collected,
        refused: e.refused,
      });
    }
    return rows;
  }
}
