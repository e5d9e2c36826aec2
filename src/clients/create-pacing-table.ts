// The shared create budget's slots in the app's storage (table <prefix>Pacing): one partition per vault, a row per
// slot (`slot-000` ...) and a row per instance waiting long (`wait-<instance>`). Slot writes are conditional on the
// ETag read (or on the row being absent), so two instances never take the same slot (shared-create-pacer.ts).
import { odata, RestError } from "@azure/data-tables";
import type { EdmTypes, TableClient } from "@azure/data-tables";
import type { PacingSlot, PacingState, PacingStore, PacingWaiter, SlotValue } from "./pacing-plan";

interface SlotEntity {
  until: Millis;
  owner: string;
  inFlight: boolean;
}

interface WaiterEntity {
  since: Millis;
  expires: Millis;
}

/** Times in ms since the epoch, written as Edm.Double: an unannotated number past Int32 is left to the service. */
interface Millis {
  value: string;
  type: EdmTypes;
}

function millis(ms: number): Millis {
  return { value: String(ms), type: "Double" };
}

const SLOT_PREFIX = "slot-";
const WAITER_PREFIX = "wait-";

/** The partition of one vault's create budget (its host; table keys allow neither `/` nor `#`). */
export function pacingPartition(vaultUrl: string): string {
  return `kv-creates-${new URL(vaultUrl).host.toLowerCase()}`;
}

function slotKey(index: number): string {
  return `${SLOT_PREFIX}${String(index).padStart(3, "0")}`;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" && !Number.isNaN(value) ? value : fallback;
}

function isStatus(error: unknown, ...statuses: number[]): boolean {
  return error instanceof RestError && statuses.includes(error.statusCode ?? 0);
}

export class TablePacingStore implements PacingStore {
  readonly #table: TableClient;
  readonly #partition: string;
  #ensured: Promise<void> | undefined;

  constructor(table: TableClient, vaultUrl: string) {
    this.#table = table;
    this.#partition = pacingPartition(vaultUrl);
  }

  async read(): Promise<PacingState> {
    await this.#ensureTable();
    const slots: PacingSlot[] = [];
    const waiters: PacingWaiter[] = [];
    const rows = this.#table.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${this.#partition}` },
    });
    for await (const row of rows) {
      const key = row.rowKey ?? "";
      if (key.startsWith(SLOT_PREFIX)) {
        const index = Number(key.slice(SLOT_PREFIX.length));
        if (!Number.isInteger(index)) continue;
        slots.push({
          index,
          // A row without a time (written by hand) holds nothing; taking it replaces it.
          until: numberOr(row.until, 0),
          owner: typeof row.owner === "string" ? row.owner : "",
          inFlight: row.inFlight === true,
          etag: row.etag,
        });
      } else if (key.startsWith(WAITER_PREFIX)) {
        waiters.push({
          owner: key.slice(WAITER_PREFIX.length),
          since: numberOr(row.since, 0),
          expires: numberOr(row.expires, 0),
        });
      }
    }
    return { slots, waiters };
  }

  async write(index: number, value: SlotValue, etag: string | undefined): Promise<string | undefined> {
    await this.#ensureTable();
    const entity = {
      partitionKey: this.#partition,
      rowKey: slotKey(index),
      until: millis(value.until),
      owner: value.owner,
      inFlight: value.inFlight,
    };
    try {
      const answer =
        etag === undefined
          ? await this.#table.createEntity<SlotEntity>(entity)
          : await this.#table.updateEntity<SlotEntity>(entity, "Replace", { etag });
      if (answer.etag === undefined) throw new Error("the table answered a slot write without an ETag");
      return answer.etag;
    } catch (error) {
      // 409: created meanwhile; 412: changed meanwhile; 404: deleted meanwhile (by an operator). Read again.
      if (isStatus(error, 404, 409, 412)) return undefined;
      throw error;
    }
  }

  async setWaiter(owner: string, since: number, expires: number): Promise<void> {
    await this.#ensureTable();
    await this.#table.upsertEntity<WaiterEntity>(
      {
        partitionKey: this.#partition,
        rowKey: `${WAITER_PREFIX}${owner}`,
        since: millis(since),
        expires: millis(expires),
      },
      "Replace",
    );
  }

  async clearWaiter(owner: string): Promise<void> {
    try {
      await this.#table.deleteEntity(this.#partition, `${WAITER_PREFIX}${owner}`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  /** Creates the table once per store; a failure is tried again on the next call. */
  #ensureTable(): Promise<void> {
    this.#ensured ??= this.#table.createTable().catch((error: unknown) => {
      if (isStatus(error, 409)) return;
      this.#ensured = undefined;
      throw error;
    });
    return this.#ensured;
  }
}
