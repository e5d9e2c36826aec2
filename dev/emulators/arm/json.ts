// JSON values as they travel on the wire, with the narrow guards the emulator needs to read request bodies safely.
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy, so callers never share mutable state with the store. */
export function cloneJson<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** The property `key` of `obj` when it is an object, else undefined. */
export function objectAt(obj: JsonObject, key: string): JsonObject | undefined {
  const value = obj[key];
  return isJsonObject(value) ? value : undefined;
}

export function stringAt(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  return typeof value === "string" ? value : undefined;
}
