// Sliding-window throttles: at most `limit` admitted requests per `windowMs` across the operations a rule names
// (one shared budget per rule, as Key Vault counts per vault). A request over the limit gets 429, with Retry-After
// (whole seconds until the oldest admitted request leaves the window) unless the rule says the service sends none.
// Every rule a request matches must admit it.
import { matchesOperation } from "./operation-pattern";
import type { EmulatorClock } from "./clock";

export interface ThrottleRule {
  /** Names the budget in messages, e.g. "certificates.create per vault". */
  readonly name: string;
  /** Operation selectors sharing the budget: names, "*" or "group.*". */
  readonly operations: readonly string[];
  readonly limit: number;
  readonly windowMs: number;
  /** Error code of the 429; default "Throttled". */
  readonly code?: string;
  /**
   * Whether the 429 carries Retry-After; default true (ARM sends it). False for services seen answering bare 429s
   * (Key Vault), which the SDK's retry policy does not retry.
   */
  readonly retryAfter?: boolean;
}

export interface ThrottleRejection {
  readonly rule: ThrottleRule;
  readonly retryAfterSeconds: number;
}

export interface EmulatorThrottles {
  /** Replaces the rules and forgets past requests. */
  configure(rules: readonly ThrottleRule[]): void;
  list(): ThrottleRule[];
  /** Forgets past requests, keeping the rules. */
  reset(): void;
}

export class ThrottleRegistry implements EmulatorThrottles {
  #rules: { readonly rule: ThrottleRule; admitted: number[] }[] = [];
  readonly #clock: EmulatorClock;

  constructor(clock: EmulatorClock, rules: readonly ThrottleRule[] = []) {
    this.#clock = clock;
    this.configure(rules);
  }

  configure(rules: readonly ThrottleRule[]): void {
    for (const rule of rules) {
      if (!Number.isInteger(rule.limit) || rule.limit < 1) throw new Error(`Throttle ${rule.name}: limit must be >= 1`);
      if (!(rule.windowMs > 0)) throw new Error(`Throttle ${rule.name}: windowMs must be > 0`);
    }
    this.#rules = rules.map((rule) => ({ rule, admitted: [] }));
  }

  list(): ThrottleRule[] {
    return this.#rules.map(({ rule }) => rule);
  }

  reset(): void {
    for (const entry of this.#rules) entry.admitted = [];
  }

  /** Admits the request (recording it against every matching rule) or says which rule refused it. */
  admit(operation: string): ThrottleRejection | undefined {
    const now = this.#clock.now();
    const matching = this.#rules.filter(({ rule }) => rule.operations.some((s) => matchesOperation(s, operation)));
    for (const entry of matching) {
      entry.admitted = entry.admitted.filter((at) => at > now - entry.rule.windowMs);
      const oldest = entry.admitted[0];
      if (entry.admitted.length >= entry.rule.limit && oldest !== undefined) {
        const waitMs = oldest + entry.rule.windowMs - now;
        return { rule: entry.rule, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
      }
    }
    for (const entry of matching) entry.admitted.push(now);
    return undefined;
  }
}
