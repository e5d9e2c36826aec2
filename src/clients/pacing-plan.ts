// How one instance picks its slot of the shared Key Vault create budget from the pacing table as read (a pure
// function, so every rule here is tested without storage or time): the table's shapes, when a slot frees for this
// instance, and what it takes next. The pacer that reads, writes and waits is shared-create-pacer.ts.
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
  /** A slot's window after its create's answer (the window + margin). */
  readonly spacingMs: number;
  /** When this instance first read each slot's current version answered (by ETag), by its own clock. */
  readonly seen?: ReadonlyMap<number, SeenSlot>;
}

export interface SeenSlot {
  readonly etag: string;
  readonly at: number;
}

/**
 * When a slot frees for this instance. Its own slots: at their end (its clock wrote it). Another's: `maxSkewMs` after
 * its end, by the writer's clock; or `spacingMs` after this instance first read the slot answered, by its own clock,
 * if sooner. That second bound needs no assumption about clocks: the row was written after the create's answer and
 * before the read's answer, so the create is at least `spacingMs` old by then, whatever either clock says. Each bound
 * alone is safe, so the sooner one is.
 */
function freeAt(slot: PacingSlot, ctx: TakeContext): number {
  if (slot.owner === ctx.me) return slot.until;
  const byWriter = slot.until + ctx.maxSkewMs;
  const seen = ctx.seen?.get(slot.index);
  return !slot.inFlight && seen?.etag === slot.etag ? Math.min(byWriter, seen.at + ctx.spacingMs) : byWriter;
}

/**
 * Picks the slot to take: a free one, or an answered one that ends within `lookaheadMs` (its own) or half that
 * (another's) (taken now, used once it ends: the storage round trips and the caller's check then overlap the wait), or
 * says how long to wait. Free slots come first, then this instance's own that end soon (no skew margin: they are
 * sooner for it than for any other), then others'; free and others' each from a random place on, so instances racing
 * for slots mostly write different ones.
 * Each live waiter of another instance that has waited longer by more than `graceMs` is left one of them (the first),
 * so an instance that keeps losing the race gets its turn without the others pausing. Slots in `lost` (another
 * instance took them since `state` was read) are passed over.
 */
export function planTake(state: PacingState, ctx: TakeContext, lost: ReadonlySet<number> = new Set()): TakePlan {
  const older = state.waiters.filter(
    (w) => w.owner !== ctx.me && w.expires + ctx.maxSkewMs > ctx.now && w.since + ctx.graceMs < ctx.since,
  ).length;
  const byIndex = new Map(state.slots.map((slot) => [slot.index, slot]));
  const free: { index: number; etag: string | undefined }[] = [];
  const soon: { index: number; etag: string; at: number }[] = [];
  let nextPoll = Infinity;
  let nextReach = Infinity;
  for (let index = 0; index < ctx.limit; index++) {
    if (lost.has(index)) continue;
    const slot = byIndex.get(index);
    if (slot === undefined) {
      free.push({ index, etag: undefined });
      continue;
    }
    const at = freeAt(slot, ctx);
    if (at <= ctx.now) free.push({ index, etag: slot.etag });
    // A slot in flight ends a window after its answer at the earliest, unless given back (its create not sent) or
    // its holder died (its lease ends): read again after a poll.
    else if (slot.inFlight) nextPoll = Math.min(nextPoll, ctx.now + ctx.pollMs, at);
    else {
      // An answered slot's end is final: only its holder rewrites it, and only while in flight. Its owner, to whom it
      // frees sooner (no skew margin), has the first half of the lookahead to take it before the others reach for it.
      const reachAt = at - (slot.owner === ctx.me ? ctx.lookaheadMs : ctx.lookaheadMs / 2);
      if (reachAt <= ctx.now) soon.push({ index, etag: slot.etag, at });
      else nextReach = Math.min(nextReach, reachAt);
    }
  }
  const mine = soon.filter((slot) => byIndex.get(slot.index)?.owner === ctx.me).sort((a, b) => a.at - b.at);
  const ready = [
    ...rotate(free, ctx.random).map((slot) => ({ ...slot, at: ctx.now })),
    ...mine,
    ...rotate(
      soon.filter((slot) => !mine.includes(slot)),
      ctx.random,
    ),
  ];
  const pick = ready[older];
  if (pick !== undefined) return { kind: "claim", index: pick.index, etag: pick.etag, notBefore: pick.at };
  // Nothing within reach, or only what is left to instances that have waited longer: look again when the next slot
  // comes within reach, or after a poll (they may have taken theirs, or gone).
  const wakeAt = Math.min(nextPoll, nextReach, ready.length > 0 ? ctx.now + ctx.pollMs : Infinity);
  return { kind: "wait", ms: Number.isFinite(wakeAt) ? Math.max(1, wakeAt - ctx.now) : ctx.pollMs };
}

/** `items` from a random place on, and round: instances racing for the same slots mostly start at different ones. */
function rotate<T>(items: readonly T[], random: () => number): T[] {
  const first = Math.floor(random() * items.length);
  return [...items.slice(first), ...items.slice(0, first)];
}
