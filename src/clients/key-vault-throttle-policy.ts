// Rides out Key Vault's 429s. Key Vault has been seen answering 429 without Retry-After (vcsjones/AzureSignTool#219),
// and the SDK's retry policy retries a 429 only when it carries one, so such an answer would reach the app at once.
// Key Vault's throttling guidance asks for exponential backoff (1, 2, 4, 8, 16 s ...): this policy sends the request
// again after such waits (or after Retry-After when given and longer), a bounded number of times, then lets the 429
// through. The waits carry jitter so that requests throttled together do not come back together.
//
// A certificate create is never sent again here: it is the one Key Vault request that is not idempotent (a create
// that lands after the certificate was merged starts a second version with a new key), so its 429 goes back to the
// caller, which re-reads the vault before it sends another (certificate-create.ts).
import type { PipelinePolicy, PipelineResponse } from "@azure/core-rest-pipeline";

/** Time as a seam: the system clock in the app, a virtual one in tests. */
export interface KeyVaultClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: KeyVaultClock = {
  now: () => Date.now(),
  sleep: (ms) =>
    new Promise((resolve) => {
      setTimeout(resolve, ms);
    }),
};

export interface ThrottleBackoff {
  /** Retries after the SDK's own; default 8 (1 + 2 + 4 + 8 + 16 + 32 + 32 + 32 s, about 2 minutes at most). */
  readonly retries: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Each wait is stretched by up to this fraction, at random. */
  readonly jitter: number;
}

export const KEY_VAULT_THROTTLE_BACKOFF: ThrottleBackoff = {
  retries: 8,
  firstDelayMs: 1_000,
  maxDelayMs: 32_000,
  jitter: 0.5,
};

export const THROTTLE_POLICY_NAME = "p2sKeyVaultThrottleBackoff";

const CREATE_PATH = /\/certificates\/[^/]+\/create$/;

/** A certificate create (POST /certificates/{name}/create): never re-sent by a pipeline policy. */
export function isCertificateCreate(request: { readonly method: string; readonly url: string }): boolean {
  return request.method === "POST" && CREATE_PATH.test(new URL(request.url).pathname);
}

/** The wait before retry `attempt` (0-based): doubling from the first delay, capped, then jittered. */
export function throttleDelayMs(backoff: ThrottleBackoff, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxDelayMs, backoff.firstDelayMs * 2 ** attempt);
  return Math.round(base * (1 + backoff.jitter * random()));
}

function retryAfterMs(response: PipelineResponse): number {
  const header = response.headers.get("retry-after");
  if (header === undefined) return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
}

export function keyVaultThrottlePolicy(
  clock: KeyVaultClock = systemClock,
  backoff: ThrottleBackoff = KEY_VAULT_THROTTLE_BACKOFF,
): PipelinePolicy {
  return {
    name: THROTTLE_POLICY_NAME,
    sendRequest: async (request, next) => {
      let response = await next(request);
      if (isCertificateCreate(request)) return response;
      for (let attempt = 0; response.status === 429 && attempt < backoff.retries; attempt++) {
        const waitMs = Math.max(throttleDelayMs(backoff, attempt), retryAfterMs(response));
        await clock.sleep(waitMs);
        if (request.abortSignal?.aborted === true) throw abortError();
        response = await next(request);
      }
      return response;
    },
  };
}

function abortError(): Error {
  const error = new Error("The operation was aborted.");
  error.name = "AbortError";
  return error;
}
