// What a callback attempt's answer means, and how long to wait before the next one.
import type { BackoffPolicy } from "./backoff";

/** delivered: done. retry: try again after a wait. refused: stop, trying again would not help (or is not allowed). */
export type CallbackVerdict = "delivered" | "retry" | "refused";

/** 30 s, 1 min, 2 min... then hourly: about 30 attempts in a day. */
export const CALLBACK_BACKOFF: BackoffPolicy = { firstMs: 30_000, maxMs: 60 * 60_000, factor: 2 };

/**
 * 2xx delivers. A redirect is never followed (it could lead anywhere, the allowlist and the address checks included)
 * and a receiver that answers one will answer it again: refused. 408 and 429 are the receiver asking for a later try;
 * any other 4xx is the receiver refusing this callback. 5xx and anything else: retried.
 */
export function verdictOf(status: number): CallbackVerdict {
  if (status >= 200 && status < 300) return "delivered";
  if (status >= 300 && status < 400) return "refused";
  if (status === 408 || status === 429) return "retry";
  if (status >= 400 && status < 500) return "refused";
  return "retry";
}

const MAX_RETRY_AFTER_MS = CALLBACK_BACKOFF.maxMs;

/** A Retry-After header (seconds or an HTTP date) as a wait in ms, capped at the backoff's longest wait. */
export function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  let ms: number;
  if (/^[0-9]{1,9}$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}
