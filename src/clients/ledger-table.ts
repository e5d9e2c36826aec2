// Small helpers the ledger's tables share: one entity or nothing, OData literals, dates and keys read back.
import { RestError } from "@azure/data-tables";
import type { TableClient, TableEntityResult } from "@azure/data-tables";

/** Entities in one table transaction (the service's limit). */
export const MAX_BATCH = 100;

/** One entity, or undefined when the table has none under these keys. */
export async function entityOrUndefined<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<TableEntityResult<T> | undefined> {
  try {
    return await table.getEntity<T>(partitionKey, rowKey);
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return undefined;
    throw error;
  }
}

/** Deletes an entity; one already gone (a retried delete) is not an error. */
export async function deleteIfPresent(table: TableClient, partitionKey: string, rowKey: string): Promise<void> {
  try {
    await table.deleteEntity(partitionKey, rowKey);
  } catch (error) {
    if (!(error instanceof RestError && error.statusCode === 404)) throw error;
  }
}

/** Creates the table when absent; remembers the tables already ensured in this process. */
export async function ensureTable(table: TableClient, ensured: Set<TableClient>): Promise<void> {
  if (ensured.has(table)) return;
  try {
    await table.createTable();
  } catch (error) {
    if (!(error instanceof RestError && error.statusCode === 409)) throw error;
  }
  ensured.add(table);
}

export function odataString(value: string): string {
  return value.replace(/'/g, "''");
}

export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function asDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value : new Date(value);
}

export function decodeKey(value: string): string {
  return value.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function oneOf<T extends string>(allowed: readonly T[], value: string, field: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`ledger entity has unknown ${field} '${value}'`);
}
