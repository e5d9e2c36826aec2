// The HR events table (<prefix>HrEvents): the events already handled (partition "event", so a duplicate does nothing)
// and, per user, the last event applied (partition "user", compared by occurredAt with every later one). A user's row
// is claimed with optimistic concurrency before the event acts, so two events about one user in the same batch cannot
// both win; the loser fails and is retried by the queue, then sees the winner.
import { RestError } from "@azure/data-tables";
import type { TableClient } from "@azure/data-tables";
import type { Config } from "../config";
import { HR_EVENT_TYPES } from "../domain/hr-events";
import type { HrEventType, HrUserState } from "../domain/hr-events";
import { tableKey } from "../domain/ledger";
import { tableClient } from "./storage";
import { ensureTable, entityOrUndefined, oneOf } from "./ledger-table";

const EVENT_PARTITION = "event";
const USER_PARTITION = "user";

interface UserEntity {
  partitionKey: string;
  rowKey: string;
  eventId: string;
  type: string;
  occurredAt: string;
  /** When the row was claimed for this event (ISO); absent on rows written before it was kept. */
  claimedAt?: string;
}

interface EventEntity {
  partitionKey: string;
  rowKey: string;
  upn: string;
  type: string;
  outcome: string;
  handledAt: Date;
}

/** A user's last applied event with the row's ETag (undefined: no row yet). */
export interface ClaimedState {
  readonly state?: HrUserState;
  readonly etag?: string;
  /** When `state` was claimed (ISO). */
  readonly claimedAt?: string;
}

export class HrStateConflictError extends Error {
  override readonly name = "HrStateConflictError";
}

type HrTableConfig = Parameters<typeof tableClient>[0] & Pick<Config, "LEDGER_TABLE_PREFIX">;

export class HrStateTable {
  private readonly ensured = new Set<TableClient>();

  constructor(private readonly table: TableClient) {}

  static fromConfig(config: HrTableConfig): HrStateTable {
    return new HrStateTable(tableClient(config, `${config.LEDGER_TABLE_PREFIX}HrEvents`));
  }

  /** How an event was handled, or undefined when it was not (yet). */
  async handled(eventId: string): Promise<string | undefined> {
    await ensureTable(this.table, this.ensured);
    const entity = await entityOrUndefined<EventEntity>(this.table, EVENT_PARTITION, tableKey(eventId));
    return entity?.outcome;
  }

  async markHandled(eventId: string, record: { upn: string; type: HrEventType; outcome: string }): Promise<void> {
    await ensureTable(this.table, this.ensured);
    await this.table.upsertEntity<EventEntity>(
      { partitionKey: EVENT_PARTITION, rowKey: tableKey(eventId), ...record, handledAt: new Date() },
      "Replace",
    );
  }

  async userState(userKey: string): Promise<ClaimedState> {
    await ensureTable(this.table, this.ensured);
    const entity = await entityOrUndefined<UserEntity>(this.table, USER_PARTITION, tableKey(userKey));
    if (entity === undefined) return {};
    const state: HrUserState = {
      eventId: entity.eventId,
      type: oneOf(HR_EVENT_TYPES, entity.type, "HR event type"),
      occurredAt: entity.occurredAt,
    };
    return { state, etag: entity.etag, ...(entity.claimedAt === undefined ? {} : { claimedAt: entity.claimedAt }) };
  }

  /** Makes `state` the user's last event, if the row is still as read (`etag`); throws HrStateConflictError if not. */
  async claim(userKey: string, state: HrUserState, read: ClaimedState, claimedAt: Date): Promise<void> {
    const entity: UserEntity = {
      partitionKey: USER_PARTITION,
      rowKey: tableKey(userKey),
      ...state,
      claimedAt: claimedAt.toISOString(),
    };
    try {
      if (read.etag === undefined) await this.table.createEntity(entity);
      else await this.table.updateEntity(entity, "Replace", { etag: read.etag });
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)) {
        throw new HrStateConflictError(`another HR event about ${userKey} was applied meanwhile`);
      }
      throw error;
    }
  }
}
