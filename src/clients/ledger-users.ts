// The users table (<prefix>Users): per user, the last offboarding (the tombstone that blocks issuance).
import type { TableClient } from "@azure/data-tables";
import { tableKey } from "../domain/ledger";
import type { OffboardingRecord } from "../domain/ledger";
import { asDate, entityOrUndefined } from "./ledger-table";

export class UserTable {
  constructor(
    private readonly table: TableClient,
    private readonly ready: () => Promise<void>,
  ) {}

  /** Records a user's offboarding (the latest one wins): issuances requested before it end revoked. */
  async recordOffboarding(record: OffboardingRecord): Promise<void> {
    await this.ready();
    await this.table.upsertEntity(
      {
        partitionKey: tableKey(record.userKey),
        rowKey: "offboarding",
        offboardedAt: record.offboardedAt,
        requestId: record.requestId,
        reason: record.reason,
      },
      "Replace",
    );
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
}
