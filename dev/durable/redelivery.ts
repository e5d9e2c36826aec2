// At-least-once delivery, as the Azure Storage backend gives it: an activity message can be processed twice (the
// activity runs again; its second completion is a duplicate the orchestration drops) and an external event can reach
// the instance's queue twice. Off unless asked for; seeded, so a failing run can be repeated.

export interface AtLeastOnceOptions {
  /** Seed of the generator that picks the repeated deliveries. */
  readonly seed: number;
  /** Chance (0 to 1) that one activity execution or one raised event is delivered twice. */
  readonly probability: number;
}

/** Reads `seed:probability` (e.g. `7:0.3`); undefined for an empty or missing value. */
export function parseAtLeastOnce(text: string | undefined): AtLeastOnceOptions | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const match = /^\s*(\d+)\s*:\s*(0(?:\.\d+)?|1(?:\.0+)?)\s*$/.exec(text);
  if (match === null) throw new Error(`at-least-once delivery wants "seed:probability" (e.g. 7:0.3), got "${text}"`);
  return { seed: Number(match[1]), probability: Number(match[2]) };
}

export class Redelivery {
  #probability = 0;
  #state = 0;

  constructor(options?: AtLeastOnceOptions) {
    this.configure(options);
  }

  /** Switches re-delivery on (with a fresh seed) or off (undefined). */
  configure(options: AtLeastOnceOptions | undefined): void {
    this.#probability = options === undefined ? 0 : Math.min(1, Math.max(0, options.probability));
    this.#state = (options?.seed ?? 0) >>> 0;
  }

  /** Whether the delivery being made now happens twice. */
  twice(): boolean {
    return this.#probability > 0 && this.#next() < this.#probability;
  }

  /** mulberry32: small, fast and good enough to pick duplicates reproducibly. */
  #next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
