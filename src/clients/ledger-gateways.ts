// The gateways table (<prefix>Gateways): the last writer pass of each gateway (partition "gateway") and, per
// gateway, the users whose live sessions are still to be ended there (partition "sessions-<gateway>").
import { RestError } from "@azure/data-tables";
import type { TableClient, TransactionAction } from "@azure/data-tables";
import { tableKey } from "../domain/ledger";
import type { GatewaySyncRecord } from "../domain/ledger";
import { asDate, deleteIfPresent, entityOrUndefined, MAX_BATCH, odataString } from "./ledger-table";

export class GatewayTable {
  constructor(
    private readonly table: TableClient,
    private readonly ready: () => Promise<void>,
  ) {}

  async recordSync(record: GatewaySyncRecord): Promise<void> {
    await this.ready();
    await this.table.upsertEntity(
      {
        partitionKey: "gateway",
        rowKey: tableKey(record.gatewayId.toLowerCase()),
        gatewayId: record.gatewayId,
        lastSyncAt: record.lastSyncAt,
        outcome: record.outcome,
        detail: record.detail,
        revokedCount: record.revokedCount,
        rootCount: record.rootCount,
      },
      "Replace",
    );
  }

  async getSync(gatewayId: string): Promise<GatewaySyncRecord | undefined> {
    await this.ready();
    const e = await entityOrUndefined<{
      gatewayId: string;
      lastSyncAt: Date | string;
      outcome: string;
      detail: string;
      revokedCount: number;
      rootCount: number;
    }>(this.table, "gateway", tableKey(gatewayId.toLowerCase()));
    return e === undefined
      ? undefined
      : {
          gatewayId: e.gatewayId,
          lastSyncAt: asDate(e.lastSyncAt) ?? new Date(0),
          outcome: e.outcome,
          detail: e.detail,
          revokedCount: e.revokedCount,
          rootCount: e.rootCount,
        };
  }

  /**
   * Records that the live sessions of these users must be ended on this gateway, once their revocations are on it.
   * Written before the gateway PUT that carries the revocations and cleared only after the sessions are ended, so a
   * writer that fails in between still ends them on its next pass. Idempotent.
   */
  async markSessionsToEnd(gatewayId: string, users: readonly string[], at: Date): Promise<void> {
    if (users.length === 0) return;
    await this.ready();
    const partitionKey = sessionsPartition(gatewayId);
    const actions: TransactionAction[] = [...new Set(users.map((u) => u.toLowerCase()))].map((user) => [
      "upsert",
      { partitionKey, rowKey: tableKey(user), user, markedAt: at },
      "Replace",
    ]);
    // One partition, so a burst of offboardings is marked in a few batch requests rather than one each.
    for (let i = 0; i < actions.length; i += MAX_BATCH) {
      await this.table.submitTransaction(actions.slice(i, i + MAX_BATCH));
    }
  }

  /** Users (lower-cased UPNs) whose sessions on this gateway are still to be ended. */
  async listSessionsToEnd(gatewayId: string): Promise<string[]> {
    await this.ready();
    const users: string[] = [];
    const iter = this.table.listEntities<{ user: string }>({
      queryOptions: { filter: `PartitionKey eq '${odataString(sessionsPartition(gatewayId))}'`, select: ["user"] },
    });
    for await (const e of iter) users.push(e.user);
    return users;
  }

  async clearSessionsToEnd(gatewayId: string, users: readonly string[]): Promise<void> {
    await this.ready();
    const partitionKey = sessionsPartition(gatewayId);
    const keys = [...new Set(users.map((u) => tableKey(u.toLowerCase())))];
    for (let i = 0; i < keys.length; i += MAX_BATCH) {
      const chunk = keys.slice(i, i + MAX_BATCH);
      try {
        await this.table.submitTransaction(chunk.map((rowKey) => ["delete", { partitionKey, rowKey }]));
      } catch (error) {
        // A batch fails whole when one entity is already gone (a retried clear): delete those one by one.
        if (!(error instanceof RestError && error.statusCode === 404)) throw error;
        for (const rowKey of chunk) await deleteIfPresent(this.table, partitionKey, rowKey);
      }
    }
  }
}

/** The partition of one gateway's pending session ends (the sync records live under "gateway"). */
function sessionsPartition(gatewayId: string): string {
  return `sessions-${tableKey(gatewayId.toLowerCase())}`;
}
