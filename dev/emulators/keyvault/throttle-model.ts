// Key Vault's service limits per vault per 10 seconds (key-vault-service-limits): key transactions are weighted by
// key type and size and enforced on their sum (4,000 RSA-2048 signs, or 500 RSA-4096 signs, or a mix in that
// ratio); creating keys has its own smaller budget; secret creates and every other transaction have flat limits.
// How a certificate create counts is undocumented: it is counted like creating its key. Over a budget: 429, bare
// by default as Key Vault's have been seen (vcsjones/AzureSignTool#219: no Retry-After, so the SDK does not retry
// it); with `retryAfter`, Retry-After carries the whole seconds until enough of the window has passed.
import type { RsaKeySize } from "./policy";

/** The budget column of a key: sizes other than 3072 and 4096 count as 2048. */
export function throttleKeySize(bits: number): RsaKeySize {
  return bits === 3072 || bits === 4096 ? bits : 2048;
}

type PerKeySize = Readonly<Record<RsaKeySize, number>>;

export interface KeyVaultThrottleLimits {
  readonly windowMs: number;
  /** Creating a key (and a certificate, which creates one), software keys. */
  readonly keyCreate: PerKeySize;
  readonly keyCreateHsm: PerKeySize;
  /** Any other key transaction (get, sign, verify), software keys. */
  readonly keyOther: PerKeySize;
  readonly keyOtherHsm: PerKeySize;
  /** Creating a secret, importing a certificate or a key, combined. */
  readonly secretCreate: number;
  /** Every other transaction: certificate and secret reads, lists, updates, deletes, merges. */
  readonly other: number;
}

export const DEFAULT_KEY_VAULT_LIMITS: KeyVaultThrottleLimits = {
  windowMs: 10_000,
  keyCreate: { 2048: 20, 3072: 20, 4096: 20 },
  keyCreateHsm: { 2048: 10, 3072: 10, 4096: 10 },
  keyOther: { 2048: 4000, 3072: 1000, 4096: 500 },
  keyOtherHsm: { 2048: 2000, 3072: 500, 4096: 250 },
  secretCreate: 300,
  other: 4000,
};

export interface KeyVaultThrottleOptions {
  /** Overrides of the documented limits (each given member replaces the default one). */
  readonly limits?: Partial<KeyVaultThrottleLimits>;
  /** Multiplies every limit (not the window), e.g. 0.1 for 2 certificate creates per 10 s; results round up to 1. */
  readonly scale?: number;
  /** Send Retry-After with the 429; default false (the bare 429 seen from Key Vault). */
  readonly retryAfter?: boolean;
}

/** What a request costs: which budget and, for keys, which key. */
export type ThrottleCharge =
  | { readonly pool: "keyCreate" | "keyOther"; readonly keySize: RsaKeySize; readonly hsm: boolean }
  | { readonly pool: "secretCreate" | "other" };

type PoolName = "keyCreate" | "keyOther" | "secretCreate" | "other";

export interface ThrottleVerdict {
  readonly admitted: boolean;
  readonly retryAfterSeconds: number;
  readonly pool: PoolName;
  readonly limit: number;
}

/**
 * Sliding windows, one per budget. Each admitted request records the fraction of its budget it used (1/limit for
 * its key type and size), so mixed key sizes share a budget as the documentation describes.
 */
export class KeyVaultThrottle {
  #limits: KeyVaultThrottleLimits;
  #scale: number;
  #enabled: boolean;
  #retryAfter = false;
  #windows: Record<PoolName, { at: number; cost: number }[]> = {
    keyCreate: [],
    keyOther: [],
    secretCreate: [],
    other: [],
  };
  readonly #now: () => number;

  constructor(now: () => number, options: KeyVaultThrottleOptions | false | undefined) {
    this.#now = now;
    this.#limits = DEFAULT_KEY_VAULT_LIMITS;
    this.#scale = 1;
    this.#enabled = options !== false;
    if (options !== false) this.configure(options ?? {});
  }

  /** Replaces limits and scale, turns throttling on, and forgets past requests. */
  configure(options: KeyVaultThrottleOptions): void {
    const scale = options.scale ?? 1;
    if (!(scale > 0)) throw new Error("Key Vault throttle scale must be > 0");
    this.#limits = { ...DEFAULT_KEY_VAULT_LIMITS, ...options.limits };
    if (!(this.#limits.windowMs > 0)) throw new Error("Key Vault throttle windowMs must be > 0");
    this.#scale = scale;
    this.#retryAfter = options.retryAfter ?? false;
    this.#enabled = true;
    this.reset();
  }

  disable(): void {
    this.#enabled = false;
    this.reset();
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Whether a 429 carries Retry-After. */
  get retryAfter(): boolean {
    return this.#retryAfter;
  }

  limits(): KeyVaultThrottleLimits {
    return this.#limits;
  }

  reset(): void {
    this.#windows = { keyCreate: [], keyOther: [], secretCreate: [], other: [] };
  }

  /** Admits and records the request, or says how long to wait. */
  charge(charge: ThrottleCharge): ThrottleVerdict {
    const limit = this.#limitFor(charge);
    if (!this.#enabled) return { admitted: true, retryAfterSeconds: 0, pool: charge.pool, limit };
    const now = this.#now();
    const windowMs = this.#limits.windowMs;
    const window = this.#windows[charge.pool].filter((entry) => entry.at > now - windowMs);
    this.#windows[charge.pool] = window;
    const cost = 1 / limit;
    // A little slack absorbs floating-point sums of fractions such as 1/3.
    const capacity = 1 + 1e-9;
    let used = window.reduce((sum, entry) => sum + entry.cost, 0);
    if (used + cost <= capacity) {
      window.push({ at: now, cost });
      return { admitted: true, retryAfterSeconds: 0, pool: charge.pool, limit };
    }
    let waitMs = windowMs;
    for (const entry of window) {
      used -= entry.cost;
      if (used + cost <= capacity) {
        waitMs = entry.at + windowMs - now;
        break;
      }
    }
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), pool: charge.pool, limit };
  }

  #limitFor(charge: ThrottleCharge): number {
    const limits = this.#limits;
    let base: number;
    switch (charge.pool) {
      case "keyCreate":
        base = (charge.hsm ? limits.keyCreateHsm : limits.keyCreate)[charge.keySize];
        break;
      case "keyOther":
        base = (charge.hsm ? limits.keyOtherHsm : limits.keyOther)[charge.keySize];
        break;
      case "secretCreate":
        base = limits.secretCreate;
        break;
      case "other":
        base = limits.other;
        break;
    }
    return Math.max(1, Math.round(base * this.#scale));
  }
}
