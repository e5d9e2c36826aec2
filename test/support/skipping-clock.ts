// A clock for the app's Key Vault clients whose sleeps end at once and move the clock forward by their length, so
// backoffs and pacing keep their order and arithmetic but cost no wall time (a test of what happens after a wait,
// not of how long it lasts).
import type { KeyVaultClock } from "../../src/clients/key-vault-throttle-policy";

export class SkippingClock implements KeyVaultClock {
  #offsetMs = 0;
  /** Every sleep asked for, in order (ms). */
  readonly sleeps: number[] = [];

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.#offsetMs += Math.max(0, ms);
    return new Promise((resolve) => setImmediate(resolve));
  }
}
