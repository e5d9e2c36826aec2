// Shared edge validation for HTTP triggers: JSON bodies through zod, UPNs through the domain rules, clear 4xx.
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { z } from "zod";
import { parseUpn } from "../domain/upn";
import type { Upn } from "../domain/upn";

export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly response: HttpResponseInit };

export function problem(status: number, title: string, detail: string): HttpResponseInit {
  return {
    status,
    jsonBody: { type: "about:blank", title, status, detail },
    headers: { "content-type": "application/problem+json" },
  };
}

export function upnParam(request: HttpRequest): Validated<Upn> {
  const result = parseUpn(request.params.upn ?? "");
  return result.ok
    ? { ok: true, value: result.upn }
    : { ok: false, response: problem(400, "Invalid UPN", result.reason) };
}

/** Request bodies larger than this are refused: every JSON body of this API is a few hundred bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

const tooLarge = (limit: number): Validated<never> => ({
  ok: false,
  response: problem(413, "Body too large", `at most ${limit} bytes`),
});

/** What jsonBody reads of a request (an HttpRequest, or a fetch Request in tests). */
export type JsonRequest = Pick<HttpRequest, "headers" | "body">;

/**
 * The raw bytes of a JSON body, as received (a signature is checked on them), refused while reading past `limit`:
 * 415 for another media type, 413 for a declared length over the limit at once and a chunked body as it arrives.
 */
export async function rawJsonBody(request: JsonRequest, limit = MAX_BODY_BYTES): Promise<Validated<Buffer>> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    return { ok: false, response: problem(415, "Unsupported media type", "send application/json") };
  }
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit) return tooLarge(limit);
  const bytes = await readAtMost(request.body, limit);
  return bytes === undefined ? tooLarge(limit) : { ok: true, value: bytes };
}

/** Parses JSON text and checks it against `schema`: 400 for bad JSON, 400 naming each field the schema refuses. */
export function parseJsonText<T>(text: string, schema: z.ZodType<T>): Validated<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, response: problem(400, "Invalid JSON", "the body is not valid JSON") };
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const detail = result.error.issues
      .map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`)
      .join("; ");
    return { ok: false, response: problem(400, "Invalid request", detail) };
  }
  return { ok: true, value: result.data };
}

export async function jsonBody<T>(request: JsonRequest, schema: z.ZodType<T>): Promise<Validated<T>> {
  const bytes = await rawJsonBody(request);
  return bytes.ok ? parseJsonText(bytes.value.toString("utf8"), schema) : bytes;
}

/**
 * Reads a body stream up to `limit` bytes. Past the limit it stops reading, cancels the stream (the rest is never
 * pulled) and answers undefined.
 */
async function readAtMost(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer | undefined> {
  if (body === null) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel("request body over the limit");
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** Idempotency keys callers choose (ticket numbers, event ids): safe in table keys and instance ids. */
export const requestIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, "must be 1-64 letters, digits, '.', '_', ':' or '-'");

/** Upstream clocks may run a little ahead of ours, never further: a future time is a scheduled change we do not take. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** An older time is a mistake (a default date, a wrong year), not a late event. */
export const MAX_EFFECTIVE_AGE_DAYS = 366;

/**
 * `effectiveAt`: when the upstream system says the change took effect (HR effective date, ticket creation), ISO 8601
 * with a zone (`Z` or an offset). Compared with the user's other offboardings and rehires, instead of our acceptance time.
 */
export const effectiveAtSchema = z.iso.datetime({ offset: true }).superRefine((value, ctx) => {
  const at = Date.parse(value);
  const now = Date.now();
  if (at > now + MAX_CLOCK_SKEW_MS) {
    ctx.addIssue({
      code: "custom",
      message: `is in the future (more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead)`,
    });
  } else if (at < now - MAX_EFFECTIVE_AGE_DAYS * 86_400_000) {
    ctx.addIssue({ code: "custom", message: `is more than ${MAX_EFFECTIVE_AGE_DAYS} days old` });
  }
});
