// Paces certificate creates to the vault's create budget. Key Vault admits a limited number of key creates per vault
// per 10 s (20 for RSA software keys; a certificate create is counted as one) and answers the rest with 429. Left to
// the SDK's retries, a burst of issuances bounces off that limit: the rejected creates come back after Retry-After
// together, most are rejected again, and each rejection spends one of the SDK's retries until issuances fail
// (measured by bench/issue.ts). Here a create waits in the app until the window has room.
//
// The budget is per process: several app instances, or other writers on the vault, each need a share of it (the
// 429s that sharing causes are ridden out by key-vault-throttle-policy's backoff).
import { systemClock } from "./key-vault-throttle-policy";
import type { KeyVaultClock } from "./key-vault-throttle-policy";

export type PacerClock = KeyVaultClock;

/**
 * At most `limit` creates start in any window of `windowMs` plus a margin. The vault counts a create when its request
 * arrives, a few milliseconds after it is sent; the margin (2% of the window) absorbs that delay's variation, so two
 * creates `limit` apart never arrive within one window. Creates start in the order they asked.
 */
export class CertificateCreatePacer {
  readonly #limit: number;
  readonly #spacingMs: number;
  readonly #clock: PacerClock;
  /** Start times of the creates still inside the window, ascending. */
  #startedAt: number[] = [];
  #queue: Promise<void> = Promise.resolve();

  constructor(limit: number, windowMs: number, clock: PacerClock = systemClock) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`pacer limit must be a positive integer, got ${limit}`);
    if (!(windowMs > 0)) throw new Error(`pacer window must be positive, got ${windowMs}`);
    this.#limit = limit;
    this.#spacingMs = Math.ceil(windowMs * 1.02);
    this.#clock = clock;
  }

  /** Runs `create` once the budget allows. A create that fails still counts: the vault may have charged it. */
  async run<T>(create: () => Promise<T>): Promise<T> {
    const turn = this.#queue.then(() => this.#reserve());
    this.#queue = turn.catch(() => undefined);
    await turn;
    return create();
  }

  async #reserve(): Promise<void> {
    for (;;) {
      const now = this.#clock.now();
      this.#startedAt = this.#startedAt.filter((at) => at + this.#spacingMs > now);
      const oldest = this.#startedAt[0];
      if (this.#startedAt.length < this.#limit || oldest === undefined) {
        this.#startedAt.push(now);
        return;
      }
      await this.#clock.sleep(oldest + this.#spacingMs - now);
    }
  }
}

/** Key Vault's throttling window (key-vault-service-limits: limits are per vault per 10 s). */
export const KEY_VAULT_WINDOW_MS = 10_000;

/** Pacers per clock (one clock in the app; a test's virtual clock gets pacers of its own), then per vault. */
const pacers = new WeakMap<PacerClock, Map<string, CertificateCreatePacer>>();

/** The process's pacer for one vault, or undefined when pacing is off (`perTenSeconds` 0). */
export function certificateCreatePacer(
  vaultUrl: string,
  perTenSeconds: number,
  clock: PacerClock = systemClock,
): CertificateCreatePacer | undefined {
  if (perTenSeconds === 0) return undefined;
  let byVault = pacers.get(clock);
  if (byVault === undefined) {
    byVault = new Map();
    pacers.set(clock, byVault);
  }
  const key = `${vaultUrl.toLowerCase()}|${perTenSeconds}`;
  let pacer = byVault.get(key);
  if (pacer === undefined) {
    pacer = new CertificateCreatePacer(perTenSeconds, KEY_VAULT_WINDOW_MS, clock);
    byVault.set(key, pacer);
  }
  return pacer;
}
