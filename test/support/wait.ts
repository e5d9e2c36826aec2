// Bounded waits for tests: every wait has a deadline and says what it waited for, so a regression fails fast with a
// message naming the step, never as jest's timeout (or a hang). Deadlines are generous limits, never assertions
// about how fast something runs.

export interface WaitOptions {
  /** What is awaited, for the error: "the writer's PUT to reach the gateway". */
  readonly message: string;
  /** Deadline (default 30 s). */
  readonly timeoutMs?: number;
  /** Pause between checks (default 10 ms). */
  readonly intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
}

/** Checks `predicate` until it holds (then returns its truthy value) or the deadline passes (then throws). */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { message, timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 10 }: WaitOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Awaits `promise`, or throws naming `message` when it has not settled by the deadline. */
export async function within<T>(
  promise: Promise<T>,
  { message, timeoutMs = DEFAULT_TIMEOUT_MS }: Omit<WaitOptions, "intervalMs">,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${message}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (30 s unless told) until a host or durable backend has no work left. */
export function idle(
  target: { idle(): Promise<void> },
  what = "the host",
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  return within(target.idle(), { timeoutMs, message: `${what} to go idle (no invocation or durable work left)` });
}
