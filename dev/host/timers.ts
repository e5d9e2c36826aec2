// Timer triggers on the host's Clock: each function's NCRONTAB schedule ("%SETTING%" names resolved from app
// settings), runOnStartup, and the function's retry policy (fixedDelay / exponentialBackoff), which the host honours
// for timer triggers. As in the host, the next occurrence is computed once an invocation (with its retries) is over,
// so runs of one timer never overlap. There is no schedule monitor: isPastDue is always false.
import type { Clock, RegisteredFunction } from "./contracts";
import { firstLine } from "./invoker";
import type { HostLog, WorkerInvoker } from "./invoker";
import { parseNcrontab } from "./ncrontab";
import type { CronSchedule } from "./ncrontab";
import type { RpcRetryContext } from "./rpc";

export interface RetryPolicy {
  readonly strategy: "fixedDelay" | "exponentialBackoff";
  /** -1 retries forever, as in the host. */
  readonly maxRetryCount: number;
  /** The wait before retry number `retryCount` (1-based). */
  delayMs(retryCount: number): number;
}

export interface TimerFunction {
  readonly name: string;
  readonly schedule: CronSchedule;
  readonly runOnStartup: boolean;
  readonly retry?: RetryPolicy;
}

export interface TimerSchedulerOptions {
  readonly invoker: WorkerInvoker;
  readonly clock: Clock;
  readonly log: HostLog;
  /** Registers background work so the host can wait for it. */
  readonly track: (work: Promise<void>) => void;
}

/** Reads a timer function's trigger at startup; throws on a schedule or retry policy the host would refuse. */
export function prepareTimer(
  registered: RegisteredFunction,
  resolveSetting: (name: string) => string | undefined,
): TimerFunction {
  const raw = registered.trigger.schedule;
  if (typeof raw !== "string") throw new Error(`timer function "${registered.name}" has no schedule`);
  const expression = raw.replace(/%([^%]+)%/g, (_whole, name: string) => {
    const value = resolveSetting(name);
    if (value === undefined) throw new Error(`timer function "${registered.name}": app setting "${name}" is not set`);
    return value;
  });
  const retry = parseRetryPolicy(registered.metadata.retryOptions, registered.name);
  return {
    name: registered.name,
    schedule: parseNcrontab(expression),
    runOnStartup: registered.trigger.runOnStartup === true,
    ...(retry === undefined ? {} : { retry }),
  };
}

export function parseRetryPolicy(options: unknown, functionName: string): RetryPolicy | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") throw new Error(`function "${functionName}": bad retry options`);
  const record = options as Record<string, unknown>;
  const strategy = record.strategy ?? record.retryStrategy;
  const maxRetryCount = record.maxRetryCount;
  if (typeof maxRetryCount !== "number" || !Number.isInteger(maxRetryCount) || maxRetryCount < -1) {
    throw new Error(`function "${functionName}": retry maxRetryCount must be an integer >= -1`);
  }
  if (strategy === "fixedDelay") {
    const delay = durationMs(record.delayInterval, "delayInterval", functionName);
    return { strategy, maxRetryCount, delayMs: () => delay };
  }
  if (strategy === "exponentialBackoff") {
    const minimum = durationMs(record.minimumInterval, "minimumInterval", functionName);
    const maximum = durationMs(record.maximumInterval, "maximumInterval", functionName);
    // Doubling from the minimum, capped at the maximum (the host adds random jitter; determinism matters more here).
    return { strategy, maxRetryCount, delayMs: (retryCount) => Math.min(maximum, minimum * 2 ** (retryCount - 1)) };
  }
  throw new Error(`function "${functionName}": unknown retry strategy "${String(strategy)}"`);
}

/** @azure/functions sends durations as { seconds } (toRpcDuration); plain milliseconds are accepted too. */
function durationMs(value: unknown, property: string, functionName: string): number {
  if (typeof value === "number" && value >= 0) return value;
  if (typeof value === "object" && value !== null) {
    const seconds = (value as { seconds?: unknown }).seconds;
    if (typeof seconds === "number" && seconds >= 0) return seconds * 1000;
  }
  throw new Error(`function "${functionName}": retry ${property} is missing or invalid`);
}

/** The timer binding's data, in the host's PascalCase JSON (the library camel-cases it). */
export function timerTriggerValue(schedule: CronSchedule, lastMs: number, nowMs: number): Record<string, unknown> {
  const next = schedule.next(lastMs);
  return {
    Schedule: { AdjustForDST: true },
    ScheduleStatus: {
      Last: new Date(lastMs).toISOString(),
      Next: next === undefined ? null : new Date(next).toISOString(),
      LastUpdated: new Date(nowMs).toISOString(),
    },
    IsPastDue: false,
  };
}

export class TimerScheduler {
  readonly #options: TimerSchedulerOptions;
  readonly #cancels = new Set<() => void>();
  #stopped = false;

  constructor(options: TimerSchedulerOptions) {
    this.#options = options;
  }

  start(timers: readonly TimerFunction[]): void {
    for (const timer of timers) {
      if (timer.runOnStartup) {
        this.#at(this.#options.clock.now(), () => {
          const now = this.#options.clock.now();
          return this.#run(timer, timerTriggerValue(timer.schedule, now, now), () => {
            this.#scheduleNext(timer);
          });
        });
      } else {
        this.#scheduleNext(timer);
      }
    }
  }

  /** One out-of-schedule run (the admin endpoint), with the function's retry policy; resolves after the first try. */
  runNow(timer: TimerFunction): Promise<void> {
    const now = this.#options.clock.now();
    return this.#run(timer, timerTriggerValue(timer.schedule, now, now), () => undefined);
  }

  stop(): void {
    this.#stopped = true;
    for (const cancel of this.#cancels) cancel();
    this.#cancels.clear();
  }

  #scheduleNext(timer: TimerFunction): void {
    if (this.#stopped) return;
    const at = timer.schedule.next(this.#options.clock.now());
    if (at === undefined) {
      this.#options.log(`Timer '${timer.name}': schedule "${timer.schedule.expression}" has no next occurrence`);
      return;
    }
    this.#at(at, () => {
      const value = timerTriggerValue(timer.schedule, at, this.#options.clock.now());
      return this.#run(timer, value, () => {
        this.#scheduleNext(timer);
      });
    });
  }

  /** Runs attempt 0 now; failed attempts schedule their retry on the clock; `done` runs once it is all over. */
  #run(timer: TimerFunction, value: Record<string, unknown>, done: () => void): Promise<void> {
    const data = { json: JSON.stringify(value) };
    const attempt = async (retryCount: number, previous: unknown): Promise<void> => {
      const retryContext = retryContextFor(timer.retry, retryCount, previous);
      try {
        await this.#options.invoker.invokeRpc(timer.name, data, retryContext === undefined ? {} : { retryContext });
      } catch (error) {
        const retry = timer.retry;
        if (retry !== undefined && !this.#stopped && (retry.maxRetryCount === -1 || retryCount < retry.maxRetryCount)) {
          const delay = retry.delayMs(retryCount + 1);
          this.#options.log(`Timer '${timer.name}': retry ${retryCount + 1} in ${delay} ms after: ${firstLine(error)}`);
          this.#at(this.#options.clock.now() + delay, () => attempt(retryCount + 1, error));
          return;
        }
      }
      done();
    };
    const first = attempt(0, undefined);
    this.#options.track(first);
    return first;
  }

  #at(atMs: number, work: () => Promise<void>): void {
    const cancel = this.#options.clock.schedule(atMs, () => {
      this.#cancels.delete(cancel);
      if (this.#stopped) return Promise.resolve();
      const running = work();
      this.#options.track(running);
      return running;
    });
    this.#cancels.add(cancel);
  }
}

function retryContextFor(
  policy: RetryPolicy | undefined,
  retryCount: number,
  previous: unknown,
): RpcRetryContext | undefined {
  if (policy === undefined) return undefined;
  if (previous === undefined) return { retryCount, maxRetryCount: policy.maxRetryCount };
  const exception =
    previous instanceof Error
      ? { message: previous.message, source: previous.name, stackTrace: previous.stack ?? "" }
      : { message: firstLine(previous) };
  return { retryCount, maxRetryCount: policy.maxRetryCount, exception };
}
