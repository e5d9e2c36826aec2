// What the fuzzed edge watches to tell "nothing started, nothing recorded": the durable instances, every row of the
// sandbox's tables (its ledger prefix: certificates, audit, users, requests, gateways, deliveries, HR, Entra, alerts),
// the HR queue and its poison queue, and Key Vault's certificates and secrets. A snapshot before an input and one
// after it are compared; the only writes a refusal may leave are its own audit row and, for an HR message, its
// poison message (both by design: refusals are audited, invalid HR messages are poisoned at once).
import { QueueClient } from "@azure/storage-queue";
import { RestError } from "@azure/core-rest-pipeline";
import type { TableClient, TableServiceClient } from "@azure/data-tables";
import { tableClient, tableServiceClient } from "../../../src/clients/storage";
import { getConfig } from "../../../src/config";
import type { TestSandbox } from "../sandbox";

/** Audit actions that record a refusal (README: every refusal is audited); nothing else may appear on one. */
export const REFUSAL_AUDIT_ACTIONS: ReadonlySet<string> = new Set([
  "request.refused",
  "certificate.refused",
  "hr.event.rejected",
  "entra.notification.refused",
  "entra.event.refused",
]);

/** How far before the previous snapshot an incremental read starts: Azurite stamps rows with its own clock. */
const SNAPSHOT_MARGIN_MS = 2_000;

export interface EdgeState {
  /** When the snapshot began (Date.now()): the next one reads only rows written since, less a margin. */
  readonly takenAtMs: number;
  readonly tables: ReadonlySet<string>;
  readonly instances: ReadonlySet<string>;
  /** "table|partition|row" to the row's ETag, and the rows themselves for the report. */
  readonly rows: ReadonlyMap<string, { readonly etag: string; readonly entity: Record<string, unknown> }>;
  readonly queues: ReadonlyMap<string, number>;
  readonly vault: readonly string[];
}

export interface EdgeChange {
  readonly instances: readonly string[];
  /** New or changed rows that are not refusal audit rows. */
  readonly rows: readonly string[];
  /** New refusal audit rows. */
  readonly refusals: readonly string[];
  readonly queues: readonly string[];
  readonly vault: readonly string[];
}

export class EdgeObserver {
  readonly #sandbox: TestSandbox;
  readonly #prefix: string;
  readonly #queues: readonly QueueClient[];
  readonly #tables = new Map<string, TableClient>();
  readonly #service: TableServiceClient;

  constructor(sandbox: TestSandbox) {
    this.#sandbox = sandbox;
    this.#prefix = getConfig().LEDGER_TABLE_PREFIX;
    this.#service = tableServiceClient(getConfig());
    const hr = sandbox.endpoints.hrEventsQueue;
    this.#queues = [hr, `${hr}-poison`].map((name) => new QueueClient(sandbox.endpoints.storageConnectionString, name));
  }

  /**
   * The state now. Given the previous snapshot, each table it knew is read incrementally (rows whose Timestamp, which
   * the service sets on every write, is at or after the previous snapshot, less a margin for clock steps); a table
   * new since then is read whole. Deletions show only in a whole read (snapshot without a previous one).
   */
  async snapshot(previous?: EdgeState): Promise<EdgeState> {
    const takenAtMs = Date.now();
    // Everything at once: the tables (listed afresh, a write may create one), the queues, in parallel.
    const [{ tables, rows }, queues] = await Promise.all([this.#rows(previous), this.#queueCounts()]);
    const { vault } = this.#sandbox.keyVault;
    return {
      takenAtMs,
      tables,
      instances: new Set(this.#sandbox.durable.instanceIds()),
      rows,
      queues,
      vault: [
        ...vault.certificateNames().map((n) => `certificate:${n}`),
        ...vault.deletedCertificateNames().map((n) => `deleted-certificate:${n}`),
        ...vault.secretNames().map((n) => `secret:${n}`),
        ...vault.deletedSecretNames().map((n) => `deleted-secret:${n}`),
      ].sort(),
    };
  }

  async #rows(previous: EdgeState | undefined): Promise<Pick<EdgeState, "tables" | "rows">> {
    // Only this sandbox's tables (the run's Azurite holds every test file's).
    const filter = `TableName ge '${this.#prefix}' and TableName lt '${this.#prefix}~'`;
    const names: string[] = [];
    for await (const table of this.#service.listTables({ queryOptions: { filter } })) {
      if (table.name?.startsWith(this.#prefix) === true) names.push(table.name);
    }
    const rows = new Map(previous?.rows);
    const since = new Date((previous?.takenAtMs ?? 0) - SNAPSHOT_MARGIN_MS).toISOString();
    await Promise.all(
      names.map(async (name) => {
        const changed = previous?.tables.has(name) === true ? { filter: `Timestamp ge datetime'${since}'` } : {};
        for await (const row of this.#table(name).listEntities({ queryOptions: changed })) {
          rows.set(`${name}|${row.partitionKey ?? ""}|${row.rowKey ?? ""}`, { etag: row.etag, entity: row });
        }
      }),
    );
    return { tables: new Set(names), rows };
  }

  #table(name: string): TableClient {
    let client = this.#tables.get(name);
    if (client === undefined) {
      client = tableClient(getConfig(), name);
      this.#tables.set(name, client);
    }
    return client;
  }

  async #queueCounts(): Promise<Map<string, number>> {
    const counts = await Promise.all(
      this.#queues.map(async (queue) => {
        try {
          return [queue.name, (await queue.getProperties()).approximateMessagesCount ?? 0] as const;
        } catch (error) {
          if (error instanceof RestError && error.statusCode === 404) return [queue.name, 0] as const;
          throw error;
        }
      }),
    );
    return new Map(counts);
  }

  static change(before: EdgeState, after: EdgeState): EdgeChange {
    const rows: string[] = [];
    const refusals: string[] = [];
    for (const [key, row] of after.rows) {
      if (before.rows.get(key)?.etag === row.etag) continue;
      const isAudit = key.split("|")[0]?.endsWith("Audit") === true;
      const action = row.entity.action;
      if (isAudit && !before.rows.has(key) && typeof action === "string" && REFUSAL_AUDIT_ACTIONS.has(action)) {
        refusals.push(`${key} ${action}`);
      } else rows.push(`${key} ${JSON.stringify(row.entity).slice(0, 300)}`);
    }
    for (const key of before.rows.keys()) if (!after.rows.has(key)) rows.push(`${key} (deleted)`);
    const queues = [...after.queues]
      .filter(([name, n]) => before.queues.get(name) !== n)
      .map(([name, n]) => `${name}: ${before.queues.get(name) ?? 0} -> ${n}`);
    const vaultBefore = new Set(before.vault);
    return {
      instances: [...after.instances].filter((id) => !before.instances.has(id)),
      rows,
      refusals,
      queues,
      vault: [
        ...after.vault.filter((v) => !vaultBefore.has(v)),
        ...before.vault.filter((v) => !after.vault.includes(v)).map((v) => `gone ${v}`),
      ],
    };
  }
}
