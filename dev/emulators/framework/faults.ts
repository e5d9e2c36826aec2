// Injected faults, applied after authentication and before throttling and the handler. A rule with a status answers
// with an Azure error; a rule with a reset destroys the connection with no answer (before the handler, or after it so
// the change is made and only its answer is lost); a rule with only latencyMs delays the request and lets it go on.
// Rules are tried in the order they were added; count-limited rules remove themselves when used up.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { seededRandom } from "./clock";
import { matchesOperation } from "./operation-pattern";

export const faultRuleSchema = z
  .object({
    /** Operation name, "*" for all, or "group.*". */
    operation: z.string().min(1),
    status: z.number().int().min(400).max(599).optional(),
    code: z.string().min(1).optional(),
    message: z.string().optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
    latencyMs: z.number().int().min(0).optional(),
    /**
     * Connection reset: the socket is destroyed with no answer. "before": the handler never runs; "after": it runs
     * (its change is made) and only the answer is lost, the case a client's retry must be idempotent for.
     */
    reset: z.enum(["before", "after"]).optional(),
    /** Chance that a matching request is hit, 0..1; default 1. */
    probability: z.number().min(0).max(1).optional(),
    /** How many hits before the rule removes itself; default unlimited. */
    count: z.number().int().min(1).optional(),
    /** Seeds this rule's own random sequence, for repeatable probabilities. */
    seed: z.number().int().optional(),
  })
  .strict()
  .refine((rule) => rule.status !== undefined || rule.latencyMs !== undefined || rule.reset !== undefined, {
    message: "A fault rule needs a status, a latencyMs, or a reset.",
  })
  .refine((rule) => rule.status === undefined || rule.reset === undefined, {
    message: "A fault rule answers a status or resets the connection, not both.",
  })
  .refine((rule) => rule.status !== undefined || (rule.code === undefined && rule.retryAfterSeconds === undefined), {
    message: "code and retryAfterSeconds need a status.",
  });

export type FaultRuleInput = z.input<typeof faultRuleSchema>;

export interface FaultRule extends FaultRuleInput {
  readonly id: string;
  /** Hits left for a count-limited rule. */
  readonly remaining?: number;
}

/** What the matching rules decided for one request. */
export interface FaultDecision {
  readonly latencyMs: number;
  /** Destroy the connection with no answer, before the handler runs or after it. */
  readonly reset?: "before" | "after";
  readonly error?: {
    readonly status: number;
    readonly code: string;
    readonly message: string;
    readonly retryAfterSeconds?: number;
  };
}

/** The control surface of an emulator's faults. */
export interface EmulatorFaults {
  /** Validates and adds a rule; throws a ZodError on an invalid rule. */
  add(rule: FaultRuleInput): FaultRule;
  remove(id: string): boolean;
  clear(): void;
  list(): FaultRule[];
}

interface ActiveRule {
  readonly rule: z.output<typeof faultRuleSchema> & { readonly id: string };
  readonly random: () => number;
  remaining: number | undefined;
}

export class FaultRegistry implements EmulatorFaults {
  #rules: ActiveRule[] = [];
  readonly #random: () => number;

  constructor(seed: number) {
    this.#random = seededRandom(seed);
  }

  add(input: FaultRuleInput): FaultRule {
    const parsed = faultRuleSchema.parse(input);
    const active: ActiveRule = {
      rule: { ...parsed, id: randomUUID() },
      random: parsed.seed === undefined ? this.#random : seededRandom(parsed.seed),
      remaining: parsed.count,
    };
    this.#rules.push(active);
    return toPublic(active);
  }

  remove(id: string): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((active) => active.rule.id !== id);
    return this.#rules.length !== before;
  }

  clear(): void {
    this.#rules = [];
  }

  list(): FaultRule[] {
    return this.#rules.map(toPublic);
  }

  /** Rolls every matching rule in order; latencies add up, the first error or reset stops the walk. */
  decide(operation: string): FaultDecision {
    let latencyMs = 0;
    for (const active of [...this.#rules]) {
      const { rule } = active;
      if (!matchesOperation(rule.operation, operation)) continue;
      if (rule.probability !== undefined && active.random() >= rule.probability) continue;
      this.#consume(active);
      latencyMs += rule.latencyMs ?? 0;
      if (rule.reset !== undefined) return { latencyMs, reset: rule.reset };
      if (rule.status !== undefined) {
        return {
          latencyMs,
          error: {
            status: rule.status,
            code: rule.code ?? "InjectedFault",
            message: rule.message ?? `Fault injected by the emulator for operation ${operation}.`,
            ...(rule.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: rule.retryAfterSeconds }),
          },
        };
      }
    }
    return { latencyMs };
  }

  #consume(active: ActiveRule): void {
    if (active.remaining === undefined) return;
    active.remaining -= 1;
    if (active.remaining <= 0) this.#rules = this.#rules.filter((other) => other !== active);
  }
}

function toPublic(active: ActiveRule): FaultRule {
  return active.remaining === undefined ? { ...active.rule } : { ...active.rule, remaining: active.remaining };
}
