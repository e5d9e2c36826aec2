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

const MAX_BODY_BYTES = 16 * 1024;

export async function jsonBody<T>(request: HttpRequest, schema: z.ZodType<T>): Promise<Validated<T>> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    return { ok: false, response: problem(415, "Unsupported media type", "send application/json") };
  }
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    return { ok: false, response: problem(413, "Body too large", `at most ${MAX_BODY_BYTES} bytes`) };
  }
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

/** Idempotency keys callers choose (ticket numbers, event ids): safe in table keys and instance ids. */
export const requestIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, "must be 1-64 letters, digits, '.', '_', ':' or '-'");
