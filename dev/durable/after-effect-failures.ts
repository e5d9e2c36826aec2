// Activities that fail after their side effect: the activity runs to completion, then its result is replaced by a
// failure, as when a worker dies (or its storage call times out) after the write went through and before the
// completion was recorded. The orchestration's retry policy runs it again, so its side effect happens twice: the
// crash that idempotent activities exist for. Off unless asked for; seeded, so a failing run can be repeated.
import { Redelivery } from "./redelivery";
import type { AtLeastOnceOptions } from "./redelivery";

/** Which activity completions are turned into failures: `seed` picks them, each with chance `probability`. */
export type AfterEffectFailureOptions = AtLeastOnceOptions;

/** The failure reason an injected after-effect failure carries (named so a run's logs can count them). */
export const AFTER_EFFECT_FAILURE_REASON =
  "Injected after-effect failure: the activity completed, then its worker was lost before the result was recorded.";

export class AfterEffectFailures {
  // The same seeded coin the at-least-once mode flips; a separate one, so switching either leaves the other's
  // sequence as it was.
  readonly #coin = new Redelivery();
  #count = 0;

  constructor(options?: AfterEffectFailureOptions) {
    this.configure(options);
  }

  /** Switches the mode on (with a fresh seed) or off (undefined). */
  configure(options: AfterEffectFailureOptions | undefined): void {
    this.#coin.configure(options);
  }

  /** Whether the completion being recorded now is replaced by a failure. */
  hit(): boolean {
    const hit = this.#coin.twice();
    if (hit) this.#count += 1;
    return hit;
  }

  /** How many completions have been replaced so far. */
  get injected(): number {
    return this.#count;
  }
}
