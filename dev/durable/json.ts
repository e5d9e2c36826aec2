// JSON helpers for payloads that cross the durable protocol as text.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON text of a value; undefined becomes "null" because the extension stores a missing result as null. */
export function toJsonText(value: unknown): string {
  // JSON.stringify returns undefined for undefined, functions and symbols, whatever its declared type says.
  const text = JSON.stringify(value) as string | undefined;
  return text ?? "null";
}

/** Parses JSON text; undefined or empty text means "no value". Throws SyntaxError on invalid JSON. */
export function parseJsonText(text: string | undefined): unknown {
  if (text === undefined || text === "") return undefined;
  return JSON.parse(text) as unknown;
}

/**
 * The library passes string inputs of activities and continueAsNew through Utils.processInput, which turns them into
 * JSON text so the extension reads them as JSON; other values arrive as they are. Undo that the way the extension does.
 */
export function decodeProcessedInput(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  return toJsonText(error);
}
