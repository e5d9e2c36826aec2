// Time sources for timer triggers and durable timers: the wall clock, and a virtual clock tests move by hand.
import type { Clock, VirtualClock } from "./contracts";

/** setTimeout's ceiling (about 24.8 days); longer waits are chained. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * The wall clock. A callback may return a promise (a function returning one is a valid `() => void`); a rejection is
 * handed to `onError` rather than left unhandled.
 */
export function createRealClock(onError: (error: unknown) => void = reportToStderr): Clock {
  return {
    now: () => Date.now(),
    schedule(atMs: number, callback: () => unknown): () => void {
      let timer: NodeJS.Timeout | undefined;
      let cancelled = false;
      const arm = (): void => {
        const wait = Math.min(Math.max(0, atMs - Date.now()), MAX_TIMEOUT_MS);
        timer = setTimeout(() => {
          if (cancelled) return;
          if (Date.now() < atMs) {
            arm();
            return;
          }
          runCallback(callback).catch(onError);
        }, wait);
      };
      arm();
      return () => {
        cancelled = true;
        if (timer !== undefined) clearTimeout(timer);
      };
    },
  };
}

interface Entry {
  readonly atMs: number;
  readonly seq: number;
  readonly callback: () => unknown;
}

/**
 * A clock that only moves when told to. `advance(ms)` runs every callback that falls due up to the new time in time
 * order (ties in scheduling order), setting `now()` to each callback's time while it runs, awaiting the promise a
 * callback returns and letting pending I/O settle before the next one; callbacks scheduled while advancing run too when
 * they fall inside the window. A callback scheduled at or before `now()` runs on its own shortly after, without an
 * advance, as a zero-delay timer would. Callback failures reject the advance that ran them (or the next advance).
 */
export class ManualClock implements VirtualClock {
  readonly virtual = true;
  #now: number;
  #seq = 0;
  #entries: Entry[] = [];
  #chain: Promise<void> = Promise.resolve();
  #kickQueued = false;
  #errors: unknown[] = [];

  constructor(startMs: number = Date.UTC(2030, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  schedule(atMs: number, callback: () => unknown): () => void {
    const entry: Entry = { atMs, seq: this.#seq++, callback };
    this.#entries.push(entry);
    if (atMs <= this.#now) this.#kick();
    return () => {
      this.#entries = this.#entries.filter((candidate) => candidate !== entry);
    };
  }

  /** Number of callbacks still waiting (useful to assert that nothing is left scheduled). */
  pending(): number {
    return this.#entries.length;
  }

  advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) return Promise.reject(new RangeError(`cannot advance by ${ms} ms`));
    return this.#serialize(async () => {
      const target = this.#now + ms;
      await this.#runDue(target);
      this.#now = Math.max(this.#now, target);
      this.#throwCollected();
    });
  }

  /** Moves the clock to an absolute time (not backwards). */
  advanceTo(atMs: number): Promise<void> {
    return this.advance(Math.max(0, atMs - this.#now));
  }

  #kick(): void {
    if (this.#kickQueued) return;
    this.#kickQueued = true;
    setImmediate(() => {
      this.#kickQueued = false;
      void this.#serialize(() => this.#runDue(this.#now));
    });
  }

  async #runDue(limitMs: number): Promise<void> {
    for (;;) {
      const next = this.#earliestDue(limitMs);
      if (next === undefined) return;
      this.#entries = this.#entries.filter((candidate) => candidate !== next);
      this.#now = Math.max(this.#now, next.atMs);
      try {
        await runCallback(next.callback);
      } catch (error) {
        this.#errors.push(error);
      }
      await settle();
    }
  }

  #earliestDue(limitMs: number): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.#entries) {
      if (entry.atMs > limitMs) continue;
      if (best === undefined || entry.atMs < best.atMs || (entry.atMs === best.atMs && entry.seq < best.seq)) {
        best = entry;
      }
    }
    return best;
  }

  #throwCollected(): void {
    const errors = this.#errors;
    this.#errors = [];
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} clock callbacks failed`);
  }

  #serialize(work: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(work);
    this.#chain = run.catch(() => undefined);
    return run;
  }
}

export function createVirtualClock(startMs?: number): ManualClock {
  return new ManualClock(startMs);
}

async function runCallback(callback: () => unknown): Promise<void> {
  const result = callback();
  if (isThenable(result)) await result;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** Lets queued I/O callbacks and follow-up microtasks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function reportToStderr(error: unknown): void {
  process.stderr.write(
    `clock callback failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
}
