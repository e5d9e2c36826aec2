// Waits between attempts against a busy or throttling service: exponential, capped, and never shorter than the
// service's own Retry-After.
export interface BackoffPolicy {
  readonly firstMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export const GATEWAY_BUSY_BACKOFF: BackoffPolicy = { firstMs: 15_000, maxMs: 5 * 60_000, factor: 2 };

export function backoffDelayMs(policy: BackoffPolicy, attempt: number, retryAfterMs?: number): number {
  const exponential = Math.min(policy.maxMs, policy.firstMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.max(exponential, retryAfterMs ?? 0);
}
