// Which slot of the shared create budget an instance takes, from the pacing table as read: free and soon-ending
// slots, the skew margin and the bound from when a slot was first read answered, the turn left to longer waiters.
import { planTake } from "../../../src/clients/pacing-plan";
import type { TakeContext } from "../../../src/clients/pacing-plan";

describe("planTake", () => {
  const ctx: TakeContext = {
    now: 10_000,
    me: "me",
    since: 9_000,
    limit: 2,
    maxSkewMs: 200,
    graceMs: 1_000,
    pollMs: 250,
    lookaheadMs: 0,
    random: () => 0,
    spacingMs: 1_020,
  };

  it("takes an absent slot, and a slot another instance wrote only after the skew margin", () => {
    expect(planTake({ slots: [], waiters: [] }, ctx)).toEqual({
      kind: "claim",
      index: 0,
      etag: undefined,
      notBefore: 10_000,
    });
    const theirs = { owner: "other", inFlight: false, etag: "e" };
    const state = {
      slots: [
        { index: 0, until: 9_900, ...theirs },
        { index: 1, until: 9_900, ...theirs },
      ],
      waiters: [],
    };
    expect(planTake(state, ctx)).toEqual({ kind: "wait", ms: 100 });
    expect(planTake(state, { ...ctx, now: 10_100 })).toEqual({ kind: "claim", index: 0, etag: "e", notBefore: 10_100 });
    // Its own slots it takes again as soon as they end.
    const mine = { slots: state.slots.map((s) => ({ ...s, owner: "me" })), waiters: [] };
    expect(planTake(mine, { ...ctx, now: 9_900 })).toEqual({ kind: "claim", index: 0, etag: "e", notBefore: 9_900 });
  });

  it("takes an answered slot that ends within the lookahead at once, to be used when it ends", () => {
    const slots = [
      { index: 0, until: 10_900, owner: "me", inFlight: false, etag: "a" },
      { index: 1, until: 10_600, owner: "other", inFlight: false, etag: "b" },
    ];
    const ahead = { ...ctx, lookaheadMs: 1_000 };
    // Its own slot first, though another's (10,600 + the skew margin) ends sooner: the other's owner may want it.
    expect(planTake({ slots, waiters: [] }, ahead)).toEqual({ kind: "claim", index: 0, etag: "a", notBefore: 10_900 });
    // Another's, used no earlier than its end + the skew margin, and reached for only in the second half of the
    // lookahead (the first is its owner's).
    expect(planTake({ slots, waiters: [] }, ahead, new Set([0]))).toEqual({ kind: "wait", ms: 300 });
    expect(planTake({ slots, waiters: [] }, { ...ahead, now: 10_300 }, new Set([0]))).toEqual({
      kind: "claim",
      index: 1,
      etag: "b",
      notBefore: 10_800,
    });
    // Further than the lookahead: wake when the first comes within reach (its own, at 15,900 - 1,000; the other's
    // would be at 15,800 - 500).
    const later = slots.map((slot) => ({ ...slot, until: slot.until + 5_000 }));
    expect(planTake({ slots: later, waiters: [] }, ahead)).toEqual({ kind: "wait", ms: 4_900 });
    expect(planTake({ slots: later, waiters: [] }, ahead, new Set([0]))).toEqual({ kind: "wait", ms: 5_300 });
    // A slot in flight is never taken ahead: its end is not known yet.
    const flying = slots.map((slot) => ({ ...slot, inFlight: true }));
    expect(planTake({ slots: flying, waiters: [] }, ahead)).toEqual({ kind: "wait", ms: 250 });
  });

  it("leaves a slot to each live waiter that has waited longer by more than the grace, and takes the next", () => {
    const waiter = (since: number, expires = 12_000) => ({ owner: "other", since, expires });
    // Two free slots, one left to the older waiter: this instance takes the other at once, not after a poll.
    expect(planTake({ slots: [], waiters: [waiter(7_900)] }, ctx)).toEqual({
      kind: "claim",
      index: 1,
      etag: undefined,
      notBefore: 10_000,
    });
    // Nothing left over: look again after a poll.
    expect(planTake({ slots: [], waiters: [waiter(7_900)] }, { ...ctx, limit: 1 })).toEqual({ kind: "wait", ms: 250 });
    expect(
      planTake({ slots: [], waiters: [waiter(7_900), { owner: "third", since: 7_000, expires: 12_000 }] }, ctx),
    ).toEqual({ kind: "wait", ms: 250 });
    expect(planTake({ slots: [], waiters: [waiter(8_100)] }, ctx).kind).toBe("claim");
    // An expired waiter row (its instance gone) is ignored.
    expect(planTake({ slots: [], waiters: [waiter(7_000, 9_000)] }, ctx).kind).toBe("claim");
  });

  it("ignores slots at or over the limit (a lowered limit)", () => {
    const full = { slots: [0, 1].map((index) => ({ index, until: 20_000, owner: "me", inFlight: false, etag: "e" })) };
    const state = { ...full, slots: [...full.slots, { index: 2, until: 0, owner: "me", inFlight: false, etag: "e" }] };
    expect(planTake({ ...state, waiters: [] }, ctx)).toEqual({ kind: "wait", ms: 10_000 });
    // A slot in flight may be answered any moment: read again after a poll.
    const flying = { slots: [{ ...full.slots[0]!, inFlight: true }, full.slots[1]!], waiters: [] };
    expect(planTake(flying, ctx)).toEqual({ kind: "wait", ms: 250 });
  });

  it("frees another instance's slot a window after it was first read answered, when that is before its end + skew", () => {
    const slot = { index: 0, until: 10_500, owner: "other", inFlight: false, etag: "e1" };
    const one = { ...ctx, limit: 1, maxSkewMs: 5_000 };
    // By the writer's clock only: 10,500 + 5,000.
    expect(planTake({ slots: [slot], waiters: [] }, one)).toEqual({ kind: "wait", ms: 5_500 });
    // First read answered at 9,600: a window later it is free, whatever the writer's clock.
    const seen = new Map([[0, { etag: "e1", at: 9_600 }]]);
    expect(planTake({ slots: [slot], waiters: [] }, { ...one, seen })).toEqual({ kind: "wait", ms: 620 });
    expect(planTake({ slots: [slot], waiters: [] }, { ...one, seen, now: 10_620 })).toEqual({
      kind: "claim",
      index: 0,
      etag: "e1",
      notBefore: 10_620,
    });
    // Another version of the row (rewritten since), or a slot in flight: the read time says nothing about its create.
    const stale = new Map([[0, { etag: "e0", at: 9_600 }]]);
    expect(planTake({ slots: [slot], waiters: [] }, { ...one, seen: stale })).toEqual({ kind: "wait", ms: 5_500 });
    const flying = { ...slot, inFlight: true };
    expect(planTake({ slots: [flying], waiters: [] }, { ...one, seen, now: 10_620 }).kind).toBe("wait");
    // The sooner bound wins either way: the writer's end + skew when it comes first.
    const early = new Map([[0, { etag: "e1", at: 14_900 }]]);
    expect(planTake({ slots: [slot], waiters: [] }, { ...one, seen: early, now: 15_500 }).kind).toBe("claim");
  });

  it("passes over slots lost to another instance since the read, and takes the next", () => {
    const state = { slots: [], waiters: [] };
    expect(planTake(state, ctx, new Set([0]))).toEqual({ kind: "claim", index: 1, etag: undefined, notBefore: 10_000 });
    expect(planTake(state, ctx, new Set([0, 1])).kind).toBe("wait");
  });
});
