// What the app remembers of the directory (<prefix>Entra): per user, the UPN last seen (a deleted user can no longer
// be read from Graph), whether the directory entitles them to VPN access as last acted on, and a generation that keys
// each change of that decision; per delta query, the deltaLink to resume from; the groups nested in the VPN group.
import { RestError } from "@azure/data-tables";
import type { TableClient } from "@azure/data-tables";
import type { Config } from "../config";
import { tableClient } from "./storage";
import { deleteIfPresent, ensureTable, entityOrUndefined } from "./ledger-table";

export interface EntraUserState {
  readonly objectId: string;
  readonly upn: string;
  /** What was last acted on: true after an onboard (or on finding the user holds access), false after an offboard. */
  readonly entitled: boolean;
  /** Bumped on every change of `entitled`: the lifecycle request of that change is keyed by it. */
  readonly generation: number;
  /** The table's ETag, for a conditional update. */
  readonly etag?: string;
}

interface UserEntity {
  partitionKey: string;
  rowKey: string;
  upn: string;
  entitled: boolean;
  generation: number;
}

const USERS = "user";
const DELTA = "delta";
const NESTED = "nested";

export class EntraStateConflict extends Error {
  override readonly name = "EntraStateConflict";
}

export class EntraState {
  readonly #ensured = new Set<TableClient>();

  constructor(private readonly table: TableClient) {}

  static fromConfig(config: Parameters<typeof tableClient>[0] & Pick<Config, "LEDGER_TABLE_PREFIX">): EntraState {
    return new EntraState(tableClient(config, `${config.LEDGER_TABLE_PREFIX}Entra`));
  }

  async getUser(objectId: string): Promise<EntraUserState | undefined> {
    await ensureTable(this.table, this.#ensured);
    const e = await entityOrUndefined<UserEntity>(this.table, USERS, objectId.toLowerCase());
    return e === undefined
      ? undefined
      : {
          objectId: e.rowKey,
          upn: e.upn,
          entitled: e.entitled,
          generation: e.generation,
          ...(e.etag ? { etag: e.etag } : {}),
        };
  }

  /**
   * Writes the user's state; with `previous` only when the row is still as read (else EntraStateConflict, and the
   * caller decides again). Without a previous row, only when there is still none.
   */
  async putUser(state: Omit<EntraUserState, "etag">, previous: EntraUserState | undefined): Promise<void> {
    await ensureTable(this.table, this.#ensured);
    const entity: UserEntity = {
      partitionKey: USERS,
      rowKey: state.objectId.toLowerCase(),
      upn: state.upn,
      entitled: state.entitled,
      generation: state.generation,
    };
    try {
      if (previous?.etag === undefined) await this.table.createEntity(entity);
      else await this.table.updateEntity(entity, "Replace", { etag: previous.etag });
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)) {
        throw new EntraStateConflict(`the state of ${state.objectId} changed meanwhile`);
      }
      throw error;
    }
  }

  /** Every user the app has entitled (the ledger side of reconciliation). */
  async listEntitled(): Promise<EntraUserState[]> {
    await ensureTable(this.table, this.#ensured);
    const found: EntraUserState[] = [];
    const rows = this.table.listEntities<UserEntity>({
      queryOptions: { filter: `PartitionKey eq '${USERS}' and entitled eq true` },
    });
    for await (const e of rows)
      found.push({ objectId: e.rowKey, upn: e.upn, entitled: e.entitled, generation: e.generation });
    return found;
  }

  async getDeltaLink(name: string): Promise<string | undefined> {
    await ensureTable(this.table, this.#ensured);
    return (await entityOrUndefined<{ link: string }>(this.table, DELTA, name))?.link;
  }

  async putDeltaLink(name: string, link: string | undefined): Promise<void> {
    await ensureTable(this.table, this.#ensured);
    if (link === undefined) {
      await deleteIfPresent(this.table, DELTA, name);
      return;
    }
    await this.table.upsertEntity({ partitionKey: DELTA, rowKey: name, link }, "Replace");
  }

  /** Groups found nested in the VPN group (their member changes matter too). */
  async nestedGroups(): Promise<string[]> {
    await ensureTable(this.table, this.#ensured);
    const ids: string[] = [];
    for await (const e of this.table.listEntities({ queryOptions: { filter: `PartitionKey eq '${NESTED}'` } })) {
      if (typeof e.rowKey === "string") ids.push(e.rowKey);
    }
    return ids;
  }

  async setNested(groupId: string, nested: boolean): Promise<void> {
    await ensureTable(this.table, this.#ensured);
    if (nested) await this.table.upsertEntity({ partitionKey: NESTED, rowKey: groupId.toLowerCase() }, "Replace");
    else await deleteIfPresent(this.table, NESTED, groupId.toLowerCase());
  }
}
