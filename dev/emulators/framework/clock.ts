// Time and randomness as seams: tests drive throttling windows and injected latency with a virtual clock and get
// repeatable fault probabilities from a seed, so no test waits on wall time.

export interface EmulatorClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: EmulatorClock = {
  now: () => Date.now(),
  sleep: (ms) =>
    new Promise((resolve) => {
      setTimeout(resolve, ms);
    }),
};

export interface VirtualClock extends EmulatorClock {
  advance(ms: number): void;
}

/** A clock that only moves when told; sleep(ms) moves it by ms and returns at once. */
export function createVirtualClock(startMs = Date.UTC(2025, 0, 1)): VirtualClock {
  let current = startMs;
  return {
    now: () => current,
    sleep: (ms) => {
      current += Math.max(0, ms);
      return Promise.resolve();
    },
    advance: (ms) => {
      current += Math.max(0, ms);
    },
  };
}

/** mulberry32: a tiny seeded generator in [0, 1); plenty for fault probabilities. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
