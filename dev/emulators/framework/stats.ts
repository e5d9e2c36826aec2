// Per-operation request statistics. `count` is every answered request; the outcome counters say why it ended:
// unauthenticated (401 before any work, e.g. Key Vault's bodiless challenge probe), faulted (injected), throttled
// (429 from a throttle rule), handled (the handler ran, whatever it answered).

export type RequestOutcome = "unauthenticated" | "rejected" | "faulted" | "throttled" | "handled";

export interface OperationStats {
  readonly count: number;
  /** Responses by HTTP status, keys as strings ("200", "429"); "reset" counts injected connection resets. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly handled: number;
  readonly unauthenticated: number;
  /** Refused before the handler for a bad request (missing api-version, invalid JSON, unknown path). */
  readonly rejected: number;
  readonly faulted: number;
  readonly throttled: number;
  readonly totalLatencyMs: number;
  readonly avgLatencyMs: number;
}

export interface EmulatorStats {
  /** Every operation seen since the last reset. */
  get(): Record<string, OperationStats>;
  /** One operation; zeros when it was never called. */
  operation(name: string): OperationStats;
  reset(): void;
}

interface MutableStats {
  count: number;
  byStatus: Record<string, number>;
  outcomes: Record<RequestOutcome, number>;
  totalLatencyMs: number;
}

export class StatsRecorder implements EmulatorStats {
  #byOperation = new Map<string, MutableStats>();

  record(operation: string, status: number | "reset", outcome: RequestOutcome, latencyMs: number): void {
    let entry = this.#byOperation.get(operation);
    if (entry === undefined) {
      entry = {
        count: 0,
        byStatus: {},
        outcomes: { unauthenticated: 0, rejected: 0, faulted: 0, throttled: 0, handled: 0 },
        totalLatencyMs: 0,
      };
      this.#byOperation.set(operation, entry);
    }
    entry.count += 1;
    entry.byStatus[String(status)] = (entry.byStatus[String(status)] ?? 0) + 1;
    entry.outcomes[outcome] += 1;
    entry.totalLatencyMs += latencyMs;
  }

  get(): Record<string, OperationStats> {
    const result: Record<string, OperationStats> = {};
    for (const name of [...this.#byOperation.keys()].sort()) result[name] = this.operation(name);
    return result;
  }

  operation(name: string): OperationStats {
    const entry = this.#byOperation.get(name);
    if (entry === undefined) {
      return {
        count: 0,
        byStatus: {},
        handled: 0,
        unauthenticated: 0,
        rejected: 0,
        faulted: 0,
        throttled: 0,
        totalLatencyMs: 0,
        avgLatencyMs: 0,
      };
    }
    return {
      count: entry.count,
      byStatus: { ...entry.byStatus },
      ...entry.outcomes,
      totalLatencyMs: entry.totalLatencyMs,
      avgLatencyMs: entry.count === 0 ? 0 : entry.totalLatencyMs / entry.count,
    };
  }

  reset(): void {
    this.#byOperation = new Map();
  }
}
