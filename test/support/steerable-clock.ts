// A clock for the ARM emulator that runs with the system clock and that a test moves forward on cue: a gateway
// operation given a long duration stays running for as long as the test needs (no race against its end), and ends
// the moment the test jumps past it. Emulated latency (faults) still sleeps in real time.
import type { EmulatorClock } from "../../dev/emulators/framework";

export class SteerableClock implements EmulatorClock {
  #offsetMs = 0;

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Moves the clock forward to `atMs` (never back). */
  jumpTo(atMs: number): void {
    this.#offsetMs += Math.max(0, atMs - this.now());
  }
}
