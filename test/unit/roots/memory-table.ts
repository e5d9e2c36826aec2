// An in-memory stand-in for the Tables SDK's TableClient, with what the root registry relies on: 404 and 409 as the
// service answers them, ETags checked on updates, and transactions applied all or nothing. `beforeWrite` lets a test
// slip another writer's change in between a read and a write.
import { RestError } from "@azure/data-tables";
import type { TableClient, TableEntity, TransactionAction, UpdateTableEntityOptions } from "@azure/data-tables";

type Row = Record<string, unknown> & { partitionKey: string; rowKey: string };

export class MemoryTable {
  readonly rows = new Map<string, { row: Row; etag: string }>();
  private version = 0;
  /** Called once before each write (create, update, transaction); may change the rows. */
  beforeWrite: (() => void) | undefined;
  writes = 0;

  asClient(): TableClient {
    return this as unknown as TableClient;
  }

  createTable(): Promise<void> {
    return Promise.resolve();
  }

  getEntity(partitionKey: string, rowKey: string): Promise<Row & { etag: string }> {
    const found = this.rows.get(`${partitionKey}/${rowKey}`);
    if (found === undefined) return Promise.reject(new RestError("ResourceNotFound", { statusCode: 404 }));
    return Promise.resolve({ ...structuredClone(found.row), etag: found.etag });
  }

  createEntity(entity: TableEntity): Promise<void> {
    this.hook();
    const key = `${entity.partitionKey}/${entity.rowKey}`;
    if (this.rows.has(key)) return Promise.reject(new RestError("EntityAlreadyExists", { statusCode: 409 }));
    this.put(entity);
    return Promise.resolve();
  }

  updateEntity(entity: TableEntity, mode: "Merge" | "Replace", options: UpdateTableEntityOptions = {}): Promise<void> {
    this.hook();
    try {
      this.update(entity, mode, options);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  submitTransaction(actions: TransactionAction[]): Promise<void> {
    this.hook();
    const saved = new Map(this.rows);
    try {
      for (const action of actions) {
        if (action[0] !== "update") throw new Error(`the fake table does not do ${action[0]} in a transaction`);
        this.update(action[1], action[2] ?? "Merge", action[3] ?? {});
      }
      return Promise.resolve();
    } catch (error) {
      for (const key of [...this.rows.keys()]) this.rows.delete(key);
      for (const [key, value] of saved) this.rows.set(key, value);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async *listEntities(): AsyncIterable<Row & { etag: string }> {
    await Promise.resolve();
    for (const { row, etag } of [...this.rows.values()]) yield { ...structuredClone(row), etag };
  }

  /** Sets fields of a row as another writer would (a new ETag). */
  change(partitionKey: string, rowKey: string, fields: Record<string, unknown>): void {
    const found = this.rows.get(`${partitionKey}/${rowKey}`);
    if (found === undefined) throw new Error(`no row ${rowKey}`);
    this.put({ ...found.row, ...fields });
  }

  private hook(): void {
    this.writes++;
    const hook = this.beforeWrite;
    this.beforeWrite = undefined;
    hook?.();
  }

  private update(entity: Row, mode: "Merge" | "Replace", options: UpdateTableEntityOptions): void {
    const key = `${entity.partitionKey}/${entity.rowKey}`;
    const found = this.rows.get(key);
    if (found === undefined) throw new RestError("ResourceNotFound", { statusCode: 404 });
    if (options.etag !== undefined && options.etag !== "*" && options.etag !== found.etag) {
      throw new RestError("UpdateConditionNotSatisfied", { statusCode: 412 });
    }
    this.put(mode === "Merge" ? { ...found.row, ...entity } : entity);
  }

  private put(row: Row): void {
    this.version++;
    this.rows.set(`${row.partitionKey}/${row.rowKey}`, { row: structuredClone(row), etag: `W/"${this.version}"` });
  }
}
