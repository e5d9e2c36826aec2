// Certificate creates paced to the vault's budget across every instance of the app. On Flex Consumption the app scales
// out, and a pacer per instance lets N instances draw N times the budget. Here the budget is `limit` slots kept in
// storage (create-pacing-table.ts): a create takes a slot whose last create left the window, by a write conditional
// on the slot being as read (ETag), so two instances never take one slot; the slot then holds the create's time. So
// at most `limit` creates are counted in any window of `windowMs` (+2%, as the per-process pacer) across instances.
//
// Why table rows with ETags, not a durable entity or one blob: an activity cannot call an entity and wait for its
// answer (only orchestrations can), and one blob holding the whole window makes every instance's write collide with
// every other's; a row per slot lets instances take different slots side by side, and one partition query reads
// them all.
//
// What it rests on, and what happens when that fails:
// - An instance that dies holding a slot: the slot was written "in flight" until its claim + FLIGHT_LEASE_MS + the
//   window, and frees then on its own. An answered create rewrites its slot to its answer + the window.
// - Clock skew: slot times are each writer's clock. A slot another instance wrote is taken again only `maxSkewMs`
//   after it ends by our clock, so clocks up to `maxSkewMs` apart never put two creates in one window; or a window
//   after we first read it answered, by our clock alone (pacing-plan.ts), if that comes first.
// - Storage not answering: a create waits (retrying with backoff) and is never sent unpaced; after `storageWaitMs`
//   it fails with a retryable error (the orchestration retries the step). The durable task hub lives in the same
//   storage account, so the app's work is stalled by such an outage anyway.
// - Fairness: each instance's creates take slots one after another (the next looks for its slot as soon as the one
//   before holds one); one whose head create has waited for a slot over `graceMs` writes a waiter row, and the others
//   leave it one of the slots within reach while it has waited longer than their own head by more than `graceMs`. An
//   instance that keeps losing the race for slots (slower storage) gets its turn.
import { randomUUID } from "node:crypto";
import { CaStateError } from "./ca-model";
import type { CreatePacer, PacerClock } from "./certificate-create-pacer";
import { planTake } from "./pacing-plan";
import type { PacingState, PacingStore, SeenSlot, SlotValue, TakeContext } from "./pacing-plan";

/** How long a taken slot counts as in flight, when no answer rewrites it (the holder died, or the create hangs). */
export const FLIGHT_LEASE_MS = 60_000;
/**
 * Pause between reads while a slot is in flight (its answer, which ends it a window later, comes well within this) or
 * another instance's waiter is ahead. Fast polls would only load storage and the instance.
 */
export const POLL_MS = 1_000;
/**
 * A slot that ends this soon is taken at once and used when it ends, so the writes and the create's check (a Key Vault
 * read, slow when the vault is busy) overlap the wait instead of delaying the create past the slot's end.
 */
export const LOOKAHEAD_MS = 2_000;
/** A waiter row lives this long unless rewritten. */
export const WAITER_TTL_MS = 5_000;

export interface SharedPacerOptions {
  readonly limit: number;
  readonly windowMs: number;
  readonly clock: PacerClock;
  readonly maxSkewMs: number;
  readonly storageWaitMs: number;
  readonly instanceId?: string;
  readonly pollMs?: number;
  readonly random?: () => number;
  readonly warn?: (line: string) => void;
}

interface Claim {
  readonly index: number;
  readonly etag: string;
  readonly claimedAt: number;
  /** When the slot's previous create leaves the window: this one starts no earlier. */
  readonly notBefore: number;
}

export class SharedCreatePacer implements CreatePacer {
  readonly #store: PacingStore;
  readonly #limit: number;
  readonly #spacingMs: number;
  readonly #clock: PacerClock;
  readonly #me: string;
  readonly #maxSkewMs: number;
  readonly #graceMs: number;
  readonly #storageWaitMs: number;
  readonly #pollMs: number;
  readonly #random: () => number;
  readonly #warn: (line: string) => void;
  #queue: Promise<void> = Promise.resolve();
  /** Creates asked and not yet holding a slot. */
  #waiting = 0;
  /** The waiter row as last written. */
  #waiter: { since: number; writtenAt: number } | undefined;
  /** Slots as first read answered: another instance's slot frees a window after that, by this clock (planTake). */
  readonly #seen = new Map<number, SeenSlot>();

  constructor(store: PacingStore, options: SharedPacerOptions) {
    const { limit, windowMs } = options;
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`pacer limit must be a positive integer, got ${limit}`);
    if (!(windowMs > 0)) throw new Error(`pacer window must be positive, got ${windowMs}`);
    this.#store = store;
    this.#limit = limit;
    this.#spacingMs = Math.ceil(windowMs * 1.02);
    this.#clock = options.clock;
    this.#me = options.instanceId ?? randomUUID();
    this.#maxSkewMs = options.maxSkewMs;
    // Waiters are compared by their own clocks: a lead within twice the skew may be the clocks, not the wait.
    this.#graceMs = Math.max(1_000, 2 * options.maxSkewMs);
    this.#storageWaitMs = options.storageWaitMs;
    this.#pollMs = options.pollMs ?? POLL_MS;
    this.#random = options.random ?? Math.random;
    this.#warn =
      options.warn ??
      ((line) => {
        console.warn(line);
      });
  }

  async run<T>(create: (answered: () => void) => Promise<T>): Promise<T> {
    const slot = await this.reserve(() => Promise.resolve(true), create);
    if (!slot.started) throw new Error("the pacer skipped a create it was not asked to check");
    return slot.result;
  }

  /**
   * As CertificateCreatePacer.reserve: creates of this process take slots in the order they asked, `check` runs
   * once a slot is held (a false answer gives the slot back), and the slot counts from the create's answer.
   */
  async reserve<T>(
    check: () => Promise<boolean>,
    create: (answered: () => void) => Promise<T>,
  ): Promise<{ readonly started: true; readonly result: Promise<T> } | { readonly started: false }> {
    this.#waiting++;
    const turn = this.#queue.then(() => this.#take());
    // The next create of this process looks for its slot as soon as this one holds one, while this one may still wait
    // for its slot's end: several slots ending soon are then taken side by side with their waits, not one a round trip
    // after another's end.
    this.#queue = turn.then(
      () => undefined,
      () => undefined,
    );
    let claim: Claim;
    try {
      claim = await turn;
    } finally {
      this.#waiting--;
    }
    if (this.#waiting === 0) await this.#clearWaiter();
    let go: boolean;
    try {
      // The check runs while a slot taken ahead of its end waits for it: the create is then sent at once.
      [go] = await Promise.all([check(), this.#until(claim.notBefore)]);
    } catch (error) {
      await this.#release(claim);
      throw error;
    }
    if (!go) {
      await this.#release(claim);
      return { started: false };
    }
    const startedAt = this.#clock.now();
    let settled = false;
    const answered = (): void => {
      if (settled) return;
      settled = true;
      const at = Math.max(startedAt, this.#clock.now());
      if (at > claim.claimedAt + FLIGHT_LEASE_MS) {
        this.#warn(`Key Vault create pacing: a create answered after its slot's lease; the vault may count it late`);
      }
      void this.#write(claim, { until: at + this.#spacingMs, owner: this.#me, inFlight: false });
    };
    const result = create(answered);
    result.then(answered, answered);
    return { started: true, result };
  }

  /** Waits, reading the shared slots, until one is free and this instance's turn; then writes it in flight. */
  async #take(): Promise<Claim> {
    // This instance's turn at the shared slots began now (its creates take them one after another).
    const since = this.#clock.now();
    let outageSince: number | undefined;
    let failures = 0;
    for (;;) {
      try {
        // The waiter row is this instance's own, which planning ignores: written beside the read, not before it.
        const [, state] = await Promise.all([this.#syncWaiter(since), this.#store.read()]);
        this.#noteSeen(state, this.#clock.now());
        if (outageSince !== undefined) this.#warn("Key Vault create pacing: the pacing table answers again");
        outageSince = undefined;
        failures = 0;
        // Slots another instance took since the read: the rest of the read still stands (each write is conditional).
        const lost = new Set<number>();
        for (;;) {
          const now = this.#clock.now();
          const plan = planTake(state, this.#context(now, since), lost);
          if (plan.kind === "wait") {
            // Only stale slots left: read again at once.
            if (lost.size === 0) await this.#clock.sleep(Math.min(plan.ms, this.#waiterDue(since, now) - now));
            break;
          }
          const from = Math.max(now, plan.notBefore);
          const value = { until: from + FLIGHT_LEASE_MS + this.#spacingMs, owner: this.#me, inFlight: true };
          const etag = await this.#store.write(plan.index, value, plan.etag);
          if (etag !== undefined) return { index: plan.index, etag, claimedAt: from, notBefore: plan.notBefore };
          lost.add(plan.index);
        }
      } catch (error) {
        const now = this.#clock.now();
        if (outageSince === undefined) {
          outageSince = now;
          this.#warn(`Key Vault create pacing: the pacing table does not answer (${describe(error)}); creates wait`);
        }
        if (now - outageSince >= this.#storageWaitMs) {
          throw new CaStateError(
            `Key Vault create pacing: the pacing table has not answered for ${Math.round((now - outageSince) / 1000)} s; no create was sent`,
          );
        }
        await this.#clock.sleep(Math.min(5_000, 250 * 2 ** failures++));
      }
    }
  }

  /** Remembers when each slot's answered version was first read (the read's answer came no earlier than `at`). */
  #noteSeen(state: PacingState, at: number): void {
    for (const slot of state.slots) {
      if (slot.inFlight) this.#seen.delete(slot.index);
      else if (this.#seen.get(slot.index)?.etag !== slot.etag) this.#seen.set(slot.index, { etag: slot.etag, at });
    }
  }

  #context(now: number, since: number): TakeContext {
    return {
      now,
      me: this.#me,
      since,
      limit: this.#limit,
      maxSkewMs: this.#maxSkewMs,
      graceMs: this.#graceMs,
      pollMs: this.#pollMs,
      lookaheadMs: LOOKAHEAD_MS,
      random: this.#random,
      spacingMs: this.#spacingMs,
      seen: this.#seen,
    };
  }

  /** Keeps this instance's waiter row in step with how long its head create has waited for a slot. */
  async #syncWaiter(since: number): Promise<void> {
    const now = this.#clock.now();
    if (now - since < this.#graceMs) return this.#clearWaiter();
    const written = this.#waiter;
    if (written !== undefined && written.since === since && now - written.writtenAt < WAITER_TTL_MS / 2) return;
    await this.#store.setWaiter(this.#me, since, now + WAITER_TTL_MS);
    this.#waiter = { since, writtenAt: now };
  }

  /**
   * When the waiter row must next be written: once the head create has waited `graceMs`, then before the row expires.
   * A long wait is broken there, or the others would stop leaving this instance its turn while it sleeps.
   */
  #waiterDue(since: number, now: number): number {
    const due =
      now - since < this.#graceMs ? since + this.#graceMs : (this.#waiter?.writtenAt ?? now) + WAITER_TTL_MS / 2;
    return Math.max(now + 1, due);
  }

  async #clearWaiter(): Promise<void> {
    if (this.#waiter === undefined) return;
    this.#waiter = undefined;
    try {
      await this.#store.clearWaiter(this.#me);
    } catch {
      // Left behind, the row expires on its own (WAITER_TTL_MS).
    }
  }

  /** A slot whose check answered false: no create was sent, so it frees as soon as its previous create's window ends. */
  async #release(claim: Claim): Promise<void> {
    await this.#write(claim, { until: claim.notBefore, owner: this.#me, inFlight: false });
  }

  async #until(at: number): Promise<void> {
    const ms = at - this.#clock.now();
    if (ms > 0) await this.#clock.sleep(ms);
  }

  /** Rewrites a held slot; on failure the slot keeps its lease and frees later, never earlier. */
  async #write(claim: Claim, value: SlotValue): Promise<void> {
    try {
      await this.#store.write(claim.index, value, claim.etag);
    } catch (error) {
      this.#warn(`Key Vault create pacing: a slot kept its lease (${describe(error)})`);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : String(error);
}
