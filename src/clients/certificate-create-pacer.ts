// Paces certificate creates to the vault's create budget. Key Vault admits a limited number of key creates per vault
// per 10 s (20 for RSA software keys; a certificate create is counted as one) and answers the rest with 429. Left to
// the SDK's retries, a burst of issuances bounces off that limit: the rejected creates come back after Retry-After
// together, most are rejected again, and each rejection spends one of the SDK's retries until issuances fail
// (measured by bench/issue.ts). Here a create waits in the app until the window has room.
//
// This pacer holds the budget in one process. Several app instances share it through storage instead
// (shared-create-pacer.ts); create-pacing.ts picks one (KEY_VAULT_CREATE_PACING). Other writers on the vault still
// need a share of the budget left to them (their 429s are ridden out by key-vault-throttle-policy's backoff).
import { systemClock } from "./key-vault-throttle-policy";
import type { KeyVaultClock } from "./key-vault-throttle-policy";

export type PacerClock = KeyVaultClock;

/** Where a certificate create waits for the vault's budget: this process's pacer, or the one shared by every instance. */
export interface CreatePacer {
  run<T>(create: (answered: () => void) => Promise<T>): Promise<T>;
  reserve<T>(
    check: () => Promise<boolean>,
    create: (answered: () => void) => Promise<T>,
  ): Promise<{ readonly started: true; readonly result: Promise<T> } | { readonly started: false }>;
}

/**
 * At most `limit` creates start in any window of `windowMs` plus a margin. The vault counts a create when its request
 * arrives, a few milliseconds after it is sent; the margin (2% of the window) absorbs that delay's variation, so two
 * creates `limit` apart never arrive within one window. A full window whose creates are still in flight waits for
 * their answers and counts each from then (the latest it can have arrived), however slow the request (a first one
 * answers an authentication challenge before it is sent with its body). The answer is the create request's own,
 * which the caller reports: the status reads a client makes after it say nothing about when the vault counted it.
 * Creates start in the order they asked.
 */
export class CertificateCreatePacer implements CreatePacer {
  readonly #limit: number;
  readonly #spacingMs: number;
  readonly #clock: PacerClock;
  /** The creates still inside the window, oldest first: when each started, or answered once it has. */
  #slots: Slot[] = [];
  #queue: Promise<void> = Promise.resolve();

  constructor(limit: number, windowMs: number, clock: PacerClock = systemClock) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`pacer limit must be a positive integer, got ${limit}`);
    if (!(windowMs > 0)) throw new Error(`pacer window must be positive, got ${windowMs}`);
    this.#limit = limit;
    this.#spacingMs = Math.ceil(windowMs * 1.02);
    this.#clock = clock;
  }

  /** Runs `create` once the budget allows. A create that fails still counts: the vault may have charged it. */
  async run<T>(create: (answered: () => void) => Promise<T>): Promise<T> {
    const slot = await this.reserve(() => Promise.resolve(true), create);
    if (!slot.started) throw new Error("the pacer skipped a create it was not asked to check");
    return slot.result;
  }

  /**
   * Waits, in order, until the budget has room and takes a slot; then runs `check` and only when it answers true
   * starts `create` at once. So a caller can look at the vault right before its create is sent. The checks of
   * different creates run side by side (a slot is held while its check runs, and given back when it answers false):
   * run one after another, a burst's checks would eat a fifth of every window. A slot taken counts even if the create
   * then fails. `create` calls `answered` when the vault has answered the create request itself; the slot counts
   * from then, or from when `create` settles if it never calls it.
   */
  async reserve<T>(
    check: () => Promise<boolean>,
    create: (answered: () => void) => Promise<T>,
  ): Promise<{ readonly started: true; readonly result: Promise<T> } | { readonly started: false }> {
    const turn = this.#queue.then(() => this.#take());
    this.#queue = turn.then(
      () => undefined,
      () => undefined,
    );
    const slot = await turn;
    let go: boolean;
    try {
      go = await check();
    } catch (error) {
      this.#giveBack(slot);
      throw error;
    }
    if (!go) {
      this.#giveBack(slot);
      return { started: false };
    }
    // Counted from when the create starts, and again from its answer (the latest it can have arrived).
    slot.at = Math.max(slot.at, this.#clock.now());
    const answered = (): void => {
      if (slot.answered === undefined) return;
      slot.at = Math.max(slot.at, this.#clock.now());
      slot.settle();
    };
    const result = create(answered);
    result.then(answered, answered);
    return { started: true, result };
  }

  /** Waits until the window has room, then holds a slot (in flight until settled). */
  async #take(): Promise<Slot> {
    for (;;) {
      const now = this.#clock.now();
      this.#slots = this.#slots.filter((slot) => slot.answered !== undefined || slot.at + this.#spacingMs > now);
      if (this.#slots.length < this.#limit) {
        const slot = newSlot(now);
        this.#slots.push(slot);
        return slot;
      }
      const flying = this.#slots.flatMap((slot) => (slot.answered === undefined ? [] : [slot.answered]));
      if (flying.length > 0) {
        await Promise.race(flying);
        continue;
      }
      const oldest = Math.min(...this.#slots.map((slot) => slot.at));
      await this.#clock.sleep(oldest + this.#spacingMs - now);
    }
  }

  /** A slot whose check answered false: no create was sent, so it frees its place at once. */
  #giveBack(slot: Slot): void {
    this.#slots = this.#slots.filter((s) => s !== slot);
    slot.settle();
  }
}

interface Slot {
  at: number;
  /** Settles once the create has been answered (or the slot given back); undefined from then on. */
  answered: Promise<void> | undefined;
  settle(): void;
}

function newSlot(at: number): Slot {
  let resolve: () => void = () => undefined;
  const answered = new Promise<void>((r) => {
    resolve = r;
  });
  const slot: Slot = {
    at,
    answered,
    settle: () => {
      slot.answered = undefined;
      resolve();
    },
  };
  return slot;
}

/** Key Vault's throttling window (key-vault-service-limits: limits are per vault per 10 s). */
export const KEY_VAULT_WINDOW_MS = 10_000;
