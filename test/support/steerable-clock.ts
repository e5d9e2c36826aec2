// A clock for an emulator that runs with the system clock and that a test steers: it moves forward on cue (a gateway
// operation given a long duration stays running for as long as the test needs, and ends the moment the test jumps
// past it), and it can hold an injected latency (a fault rule with latencyMs) until the test lets the request on, so
// a request is held in flight at a known point without racing a timer.
import type { EmulatorClock } from "../../dev/emulators/framework";

/** One held sleep: `reached` resolves when a request starts it, `release` ends it. */
export interface HeldSleep {
  readonly reached: Promise<void>;
  release(): void;
}

interface PendingHold {
  readonly arrive: () => void;
  readonly released: Promise<void>;
}

export class SteerableClock implements EmulatorClock {
  #offsetMs = 0;
  #holds: PendingHold[] = [];
  #releases: (() => void)[] = [];

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  sleep(ms: number): Promise<void> {
    const hold = this.#holds.shift();
    if (hold !== undefined) {
      hold.arrive();
      return hold.released;
    }
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Moves the clock forward to `atMs` (never back). */
  jumpTo(atMs: number): void {
    this.#offsetMs += Math.max(0, atMs - this.now());
  }

  /** The next sleep (an injected latency) lasts until released, however short it was asked to be. */
  holdNextSleep(): HeldSleep {
    let arrive = (): void => undefined;
    let release = (): void => undefined;
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#holds.push({ arrive, released });
    this.#releases.push(release);
    return { reached, release };
  }

  /** Lets every held (or still to be held) sleep end, so a failed test leaves no request hanging. */
  releaseAll(): void {
    this.#holds = [];
    for (const release of this.#releases) release();
    this.#releases = [];
  }
}
