// Reuses one health report for a short while: callers within `ttlMs` of a probe, or while one runs, share it.
export class HealthCache<T> {
  private entry: { readonly key: unknown; readonly at: number; readonly value: Promise<T> } | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * The cached value when it is younger than `ttlMs` and was made under the same `key` (the configuration it was
   * probed with), else a fresh one from `produce`, which then replaces it. A probe in flight is shared, never doubled.
   */
  get(key: unknown, ttlMs: number, produce: () => Promise<T>): Promise<T> {
    const entry = this.entry;
    if (entry !== undefined && entry.key === key && this.now() - entry.at < ttlMs) return entry.value;
    return this.refresh(key, produce);
  }

  /** Probes now and keeps the result for the callers that follow. */
  refresh(key: unknown, produce: () => Promise<T>): Promise<T> {
    const value = produce();
    this.entry = { key, at: this.now(), value };
    return value;
  }
}
