// The host clock of a chaos run: the wall clock, which the run's end can move forward at once (jump) so that the
// waits left (a delivery's link lifetime and grace, retry backoffs, the reconcile timers) fall due without waiting
// minutes for them. Only moved once no more requests are sent: the app's activities keep Date.now.
import type { Clock } from "../../dev/host/contracts";

const MAX_TIMEOUT_MS = 2_147_483_647;

interface Entry {
  readonly atMs: number;
  readonly callback: () => unknown;
  timer?: NodeJS.Timeout;
}

export class JumpClock implements Clock {
  #offsetMs = 0;
  readonly #entries = new Set<Entry>();

  constructor(private readonly onError: (error: unknown) => void) {}

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  schedule(atMs: number, callback: () => unknown): () => void {
    const entry: Entry = { atMs, callback };
    this.#entries.add(entry);
    this.#arm(entry);
    return () => {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      this.#entries.delete(entry);
    };
  }

  /** Moves the clock `ms` ahead; whatever falls due runs at once. */
  jump(ms: number): void {
    this.#offsetMs += ms;
    for (const entry of this.#entries) this.#arm(entry);
  }

  /** How far ahead of the wall clock it is. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  #arm(entry: Entry): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    const wait = Math.min(Math.max(0, entry.atMs - this.now()), MAX_TIMEOUT_MS);
    entry.timer = setTimeout(() => {
      if (!this.#entries.has(entry)) return;
      if (this.now() < entry.atMs) {
        this.#arm(entry);
        return;
      }
      this.#entries.delete(entry);
      Promise.resolve()
        .then(entry.callback)
        .catch((error: unknown) => {
          this.onError(error);
        });
    }, wait);
  }
}
