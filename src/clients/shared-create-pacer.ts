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
//   after it ends by our clock, so clocks up to `maxSkewMs` apart never put two creates in one window.
// - Storage not answering: a create waits (retrying with backoff) and is never sent unpaced; after `storageWaitMs`
//   it fails with a retryable error (the orchestration retries the step). The durable task hub lives in the same
//   storage account, so the app's work is stalled by such an outage anyway.
// - Fairness: each instance's creates take slots one after another; one whose head create has waited for a slot over
//   `graceMs` writes a waiter row, and the others leave free slots to it while it has waited longer than their own
//   head by more than `graceMs`. An instance that keeps losing the race for slots (slower storage) gets its turn.
import { randomUUID } from "node:crypto";
import { CaStateError } from "./ca-model";
import type { CreatePacer, PacerClock } from "./certificate-create-pacer";

/** One slot as read: when its last create leaves the window (by its writer's clock), and who wrote it. */
export interface PacingSlot {
  readonly index: number;
  readonly until: number;
  readonly owner: string;
  /** Taken and not yet answered (its `until` is the lease's end, not the create's). */
  readonly inFlight: boolean;
  readonly etag: string;
}

/** An instance whose head create has waited for a slot since `since` (its clock); ignored after `expires`. */
export interface PacingWaiter {
  readonly owner: string;
  readonly since: number;
  readonly expires: number;
}

export interface PacingState {
  readonly slots: readonly PacingSlot[];
  readonly waiters: readonly PacingWaiter[];
}

export type SlotValue = Pick<PacingSlot, "until" | "owner" | "inFlight">;

/** The shared state: any failure is storage being unavailable, except a lost race (undefined from `write`). */
export interface PacingStore {
  read(): Promise<PacingState>;
  /** Writes slot `index` if unchanged since read (`etag`; undefined: absent); undefined when another writer was first. */
  write(index: number, value: SlotValue, etag: string | undefined): Promise<string | undefined>;
  setWaiter(owner: string, since: number, expires: number): Promise<void>;
  clearWaiter(owner: string): Promise<void>;
}

/** How long a taken slot counts as in flight, when no answer rewrites it (the holder died, or the create hangs). */
export const FLIGHT_LEASE_MS = 60_000;
/**
 * Pause between reads while a slot is in flight (its answer, which ends it a window later, comes well within this) or
 * another instance's waiter is ahead. Fast polls would only load storage and the instance.
 */
export const POLL_MS = 1_000;
/** A slot that ends this soon is taken at once and used when it ends, so the writes overlap the wait. */
export const LOOKAHEAD_MS = 1_000;
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

/** What a take does next: write a free slot, or wait. */
export type TakePlan =
  | {
      readonly kind: "claim";
      readonly index: number;
      readonly etag: string | undefined;
      /** When the slot's last create leaves the window: the create may start then, not before. */
      readonly notBefore: number;
    }
  | { readonly kind: "wait"; readonly ms: number };

export interface TakeContext {
  readonly now: number;
  readonly me: string;
  /** When this instance's create now at the head of its queue began to wait for a slot. */
  readonly since: number;
  readonly limit: number;
  readonly maxSkewMs: number;
  readonly graceMs: number;
  readonly pollMs: number;
  readonly lookaheadMs: number;
  readonly random: () => number;
}

/**
 * Picks a free slot (at random, so instances racing for slots mostly pick different ones), else an answered slot that
 * ends within `lookaheadMs` (taken now, used once it ends: the storage round trips then overlap the wait), or says how
 * long to wait.
 */
export function planTake(state: PacingState, ctx: TakeContext): TakePlan {
  const older = state.waiters.some(
    (w) => w.owner !== ctx.me && w.expires + ctx.maxSkewMs > ctx.now && w.since + ctx.graceMs < ctx.since,
  );
  const byIndex = new Map(state.slots.map((slot) => [slot.index, slot]));
  const free: { index: number; etag: string | undefined }[] = [];
  let soonest: { index: number; etag: string; at: number } | undefined;
  let nextPoll = Infinity;
  for (let index = 0; index < ctx.limit; index++) {
    const slot = byIndex.get(index);
    if (slot === undefined) {
      free.push({ index, etag: undefined });
      continue;
    }
    const freeAt = slot.until + (slot.owner === ctx.me ? 0 : ctx.maxSkewMs);
    if (freeAt <= ctx.now) free.push({ index, etag: slot.etag });
    // A slot in flight ends a window after its answer at the earliest, unless given back (its create not sent) or
    // its holder died (its lease ends): read again after a poll.
    else if (slot.inFlight) nextPoll = Math.min(nextPoll, ctx.now + ctx.pollMs, freeAt);
    // An answered slot's end is final: only its holder rewrites it, and only while in flight.
    else if (soonest === undefined || freeAt < soonest.at) soonest = { index, etag: slot.etag, at: freeAt };
  }
  const wakeAt = Math.min(nextPoll, soonest === undefined ? Infinity : soonest.at - ctx.lookaheadMs);
  // Another instance's turn: look again when it has had time to take its slot.
  if (older) return { kind: "wait", ms: Number.isFinite(wakeAt) ? Math.max(ctx.pollMs, wakeAt - ctx.now) : ctx.pollMs };
  const pick = free[Math.floor(ctx.random() * free.length)];
  if (pick !== undefined) return { kind: "claim", index: pick.index, etag: pick.etag, notBefore: ctx.now };
  if (soonest !== undefined && soonest.at - ctx.now <= ctx.lookaheadMs) {
    return { kind: "claim", index: soonest.index, etag: soonest.etag, notBefore: soonest.at };
  }
  return { kind: "wait", ms: Math.max(1, wakeAt - ctx.now) };
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
    // The next create of this process takes its slot once this one may start: they start in the order they asked.
    this.#queue = turn.then(
      (claim) => this.#until(claim.notBefore),
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
        await this.#syncWaiter(since);
        const state = await this.#store.read();
        const now = this.#clock.now();
        const plan = planTake(state, {
          now,
          me: this.#me,
          since,
          limit: this.#limit,
          maxSkewMs: this.#maxSkewMs,
          graceMs: this.#graceMs,
          pollMs: this.#pollMs,
          lookaheadMs: LOOKAHEAD_MS,
          random: this.#random,
        });
        if (outageSince !== undefined) this.#warn("Key Vault create pacing: the pacing table answers again");
        outageSince = undefined;
        failures = 0;
        if (plan.kind === "wait") {
          await this.#clock.sleep(plan.ms);
          continue;
        }
        const from = Math.max(now, plan.notBefore);
        const value = { until: from + FLIGHT_LEASE_MS + this.#spacingMs, owner: this.#me, inFlight: true };
        const etag = await this.#store.write(plan.index, value, plan.etag);
        // Another instance took the slot between our read and our write: read again.
        if (etag === undefined) continue;
        return { index: plan.index, etag, claimedAt: from, notBefore: plan.notBefore };
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

  /** Keeps this instance's waiter row in step with how long its head create has waited for a slot. */
  async #syncWaiter(since: number): Promise<void> {
    const now = this.#clock.now();
    if (now - since < this.#graceMs) return this.#clearWaiter();
    const written = this.#waiter;
    if (written !== undefined && written.since === since && now - written.writtenAt < WAITER_TTL_MS / 2) return;
    await this.#store.setWaiter(this.#me, since, now + WAITER_TTL_MS);
    this.#waiter = { since, writtenAt: now };
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
