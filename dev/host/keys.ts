// Host keys: a function key (valid for every function), the master key (admin endpoints and every auth level), and the
// extensions' system keys: Event Grid's ("eventgrid_extension") and Durable Functions' ("durabletask_extension"), each
// opening only its own webhook. Generated per host start unless the caller passes them.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export interface HostKeys {
  readonly functionKey: string;
  readonly masterKey: string;
  readonly eventGridKey: string;
  /** Opens /runtime/webhooks/durabletask; the status URLs the app hands out carry it as `code`, as in Azure. */
  readonly durableTaskKey: string;
}

export type AuthLevel = "anonymous" | "function" | "admin";

export function generateKeys(given: Partial<HostKeys> = {}): HostKeys {
  return {
    functionKey: given.functionKey ?? newKey(),
    masterKey: given.masterKey ?? newKey(),
    eventGridKey: given.eventGridKey ?? newKey(),
    durableTaskKey: given.durableTaskKey ?? newKey(),
  };
}

/** The key a request presents: the x-functions-key header wins over the `code` query parameter, as in the host. */
export function presentedKey(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = headers["x-functions-key"];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader !== undefined && fromHeader !== "") return fromHeader;
  return query.get("code") ?? undefined;
}

/** Whether `presented` opens a function of `level`: function level takes the function key or the master key. */
export function authorizes(keys: HostKeys, level: AuthLevel, presented: string | undefined): boolean {
  if (level === "anonymous") return true;
  if (presented === undefined) return false;
  if (sameKey(presented, keys.masterKey)) return true;
  return level === "function" && sameKey(presented, keys.functionKey);
}

/** The Event Grid webhook takes its system key or the master key. */
export function authorizesEventGrid(keys: HostKeys, presented: string | undefined): boolean {
  return presented !== undefined && (sameKey(presented, keys.eventGridKey) || sameKey(presented, keys.masterKey));
}

/** The public Durable Functions webhook takes its system key or the master key (not a function key). */
export function authorizesDurableTask(keys: HostKeys, presented: string | undefined): boolean {
  return presented !== undefined && (sameKey(presented, keys.durableTaskKey) || sameKey(presented, keys.masterKey));
}

export function parseAuthLevel(value: unknown, functionName: string): AuthLevel {
  const level = typeof value === "string" ? value.toLowerCase() : "anonymous";
  if (level === "anonymous" || level === "function" || level === "admin") return level;
  throw new Error(`function "${functionName}": unsupported authLevel "${String(value)}"`);
}

function sameKey(presented: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about the key.
  return timingSafeEqual(digest(presented), digest(expected));
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function newKey(): string {
  return randomBytes(32).toString("base64url");
}
