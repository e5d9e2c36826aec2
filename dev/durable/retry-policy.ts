// Retry options of callActivityWithRetry / callSubOrchestratorWithRetry and the delays the extension derives from them
// (DurableTask.Core RetryInterceptor, Azure/durabletask src/DurableTask.Core/RetryInterceptor.cs: delay = first *
// coefficient^(attempt-1), capped at the max interval; after the last attempt a timer that fires at once; no timer at
// all once the retry timeout, counted from the first attempt, has passed).
import { isRecord } from "./json";

export interface RetryPolicy {
  readonly firstRetryIntervalMs: number;
  readonly maxNumberOfAttempts: number;
  readonly backoffCoefficient: number;
  readonly maxRetryIntervalMs: number;
  readonly retryTimeoutMs: number;
}

function positiveOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Reads the library's RetryOptions as serialized in the action; throws when the two required fields are missing. */
export function parseRetryOptions(value: unknown): RetryPolicy {
  if (!isRecord(value)) throw new Error("retryOptions is missing");
  const first = value.firstRetryIntervalInMilliseconds;
  const attempts = value.maxNumberOfAttempts;
  if (typeof first !== "number" || typeof attempts !== "number") {
    throw new Error("retryOptions needs numeric firstRetryIntervalInMilliseconds and maxNumberOfAttempts");
  }
  return {
    firstRetryIntervalMs: Math.max(0, first),
    maxNumberOfAttempts: Math.max(1, Math.floor(attempts)),
    backoffCoefficient: positiveOr(value.backoffCoefficient, 1),
    maxRetryIntervalMs: positiveOr(value.maxRetryIntervalInMilliseconds, Number.POSITIVE_INFINITY),
    retryTimeoutMs: positiveOr(value.retryTimeoutInMilliseconds, Number.POSITIVE_INFINITY),
  };
}

/** The wait after the `failures`-th failed attempt (1-based). */
export function retryDelayMs(policy: RetryPolicy, failures: number): number {
  const raw = policy.firstRetryIntervalMs * Math.pow(policy.backoffCoefficient, Math.max(0, failures - 1));
  return Math.round(Math.min(raw, policy.maxRetryIntervalMs));
}

/** Whether the retry timeout still allows another attempt at `nowMs` (RetryInterceptor.ComputeNextDelay). */
export function withinRetryTimeout(policy: RetryPolicy, firstAttemptAtMs: number, nowMs: number): boolean {
  return nowMs < firstAttemptAtMs + policy.retryTimeoutMs;
}
