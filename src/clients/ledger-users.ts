// The users table (<prefix>Users): per user, the latest offboarding and the latest rehire, each by the time it took
// effect. Together they decide whether the user may get a new certificate (domain/user-standing.ts).
import { RestError } from "@azure/data-tables";
import type { TableClient } from "@azure/data-tables";
import { tableKey } from "../domain/ledger";
import type { HireRecord, OffboardingRecord } from "../domain/ledger";
import type { UserStanding } from "../domain/user-standing";
import { asDate, entityOrUndefined } from "./ledger-table";

const MAX_CONCURRENCY_ATTEMPTS = 5;

export class UserTable {
  constructor(
    private readonly table: TableClient,
    private readonly ready: () => Promise<void>,
  ) {}

  /** Records an offboarding unless a later one is already recorded (a late event never moves it back). */
  async recordOffboarding(record: OffboardingRecord): Promise<void> {
    await this.keepLatest(tableKey(record.userKey), "offboarding", "offboardedAt", {
      offboardedAt: record.offboardedAt,
      requestId: record.requestId,
      reason: record.reason,
    });
  }

  async getOffboarding(userKey: string): Promise<OffboardingRecord | undefined> {
    await this.ready();
    const e = await entityOrUndefined<{ offboardedAt: Date | string; requestId: string; reason: string }>(
      this.table,
      tableKey(userKey),
      "offboarding",
    );
    return e === undefined
      ? undefined
      : { userKey, offboardedAt: asDate(e.offboardedAt) ?? new Date(0), requestId: e.requestId, reason: e.reason };
  }

  /** Records a rehire unless a later one is already recorded. */
  async recordHire(record: HireRecord): Promise<void> {
    await this.keepLatest(tableKey(record.userKey), "hire", "hiredAt", {
      hiredAt: record.hiredAt,
      requestId: record.requestId,
    });
  }

  async getHire(userKey: string): Promise<HireRecord | undefined> {
    await this.ready();
    const e = await entityOrUndefined<{ hiredAt: Date | string; requestId: string }>(
      this.table,
      tableKey(userKey),
      "hire",
    );
    return e === undefined ? undefined : { userKey, hiredAt: asDate(e.hiredAt) ?? new Date(0), requestId: e.requestId };
  }

  async getStanding(userKey: string): Promise<UserStanding> {
    const [offboarding, hire] = await Promise.all([this.getOffboarding(userKey), this.getHire(userKey)]);
    return { ...(offboarding === undefined ? {} : { offboarding }), ...(hire === undefined ? {} : { hire }) };
  }

  /** Writes `fields` unless the stored row's `timeField` is later; ETag-guarded so concurrent writers keep the latest. */
  private async keepLatest(
    partitionKey: string,
    rowKey: string,
    timeField: string,
    fields: Record<string, Date | string>,
  ): Promise<void> {
    await this.ready();
    const at = fields[timeField];
    if (!(at instanceof Date)) throw new Error(`${rowKey} needs a ${timeField} time`);
    for (let attempt = 1; ; attempt++) {
      const current = await entityOrUndefined<Record<string, unknown>>(this.table, partitionKey, rowKey);
      const stored = asDate(current?.[timeField] as Date | string | undefined);
      if (stored !== undefined && stored.getTime() > at.getTime()) return;
      try {
        if (current === undefined) await this.table.createEntity({ partitionKey, rowKey, ...fields });
        else await this.table.updateEntity({ partitionKey, rowKey, ...fields }, "Replace", { etag: current.etag });
        return;
      } catch (error) {
        const lostRace = error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412);
        if (!lostRace || attempt >= MAX_CONCURRENCY_ATTEMPTS) throw error;
      }
    }
  }
}
