// The pacer shared by several app instances, on a fake clock and an in-memory table with ETags: instances each with
// their own pacer (and, for skew, their own clock) against one store.
import type { PacerClock } from "../../../src/clients/certificate-create-pacer";
import { CertificateCreatePacer } from "../../../src/clients/certificate-create-pacer";
import { FLIGHT_LEASE_MS, SharedCreatePacer } from "../../../src/clients/shared-create-pacer";
import type { PacingState, PacingStore, PacingWaiter, SlotValue } from "../../../src/clients/pacing-plan";
import { CaStateError } from "../../../src/clients/ca-model";

/** Time moves only when every sleeper is waiting: the driver then jumps to the next timer. */
class ManualClock {
  now = 1_000_000;
  #timers: { at: number; resolve: () => void }[] = [];

  /** A clock `offsetMs` ahead of (or behind) the true one, on the same timers. */
  view(offsetMs = 0): PacerClock {
    return {
      now: () => this.now + offsetMs,
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          this.#timers.push({ at: this.now + Math.max(0, ms), resolve });
        }),
    };
  }

  /** Lets every pending promise run, then fires the earliest timer; false when none is left. */
  async step(): Promise<boolean> {
    for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve));
    this.#timers.sort((a, b) => a.at - b.at);
    const next = this.#timers.shift();
    if (next === undefined) return false;
    this.now = Math.max(this.now, next.at);
    next.resolve();
    return true;
  }
}

/** A table partition as the pacer sees it: ETags, conditional writes, and storage that can be taken away. */
class MemoryStore implements PacingStore {
  slots = new Map<number, SlotValue & { etag: string }>();
  waiters = new Map<string, PacingWaiter>();
  down = false;
  #version = 0;

  #latency(): Promise<void> {
    return this.down ? Promise.reject(new Error("connect ECONNREFUSED")) : Promise.resolve();
  }

  async read(): Promise<PacingState> {
    await this.#latency();
    return {
      slots: [...this.slots].map(([index, slot]) => ({ index, ...slot })),
      waiters: [...this.waiters.values()],
    };
  }

  async write(index: number, value: SlotValue, etag: string | undefined): Promise<string | undefined> {
    await this.#latency();
    if (this.slots.get(index)?.etag !== etag) return undefined;
    const next = `v${++this.#version}`;
    this.slots.set(index, { ...value, etag: next });
    return next;
  }

  async setWaiter(owner: string, since: number, expires: number): Promise<void> {
    await this.#latency();
    this.waiters.set(owner, { owner, since, expires });
  }

  async clearWaiter(owner: string): Promise<void> {
    await this.#latency();
    this.waiters.delete(owner);
  }
}

/** Store calls of one instance through its own latency (a slower storage connection), on one shared state. */
function slower(store: MemoryStore, clock: ManualClock, latencyMs: number): PacingStore {
  const pause = () => clock.view().sleep(latencyMs);
  return {
    read: async () => {
      await pause();
      return store.read();
    },
    write: async (index, value, etag) => {
      await pause();
      return store.write(index, value, etag);
    },
    setWaiter: (owner, since, expires) => store.setWaiter(owner, since, expires),
    clearWaiter: (owner) => store.clearWaiter(owner),
  };
}

const WINDOW = 1_000;
const SPACING = 1_020;

interface Started {
  readonly instance: string;
  readonly at: number;
}

/** Runs creates on each pacer (all asked at once) until all are done; returns when each started, in true time. */
async function drive(
  clock: ManualClock,
  instances: readonly { name: string; pacer: { run: SharedCreatePacer["run"] }; count: number }[],
  answerMs = 0,
): Promise<Started[]> {
  const started: Started[] = [];
  let done = 0;
  const total = instances.reduce((sum, i) => sum + i.count, 0);
  const runs = instances.flatMap(({ name, pacer, count }) =>
    Array.from({ length: count }, () =>
      pacer.run(async () => {
        started.push({ instance: name, at: clock.now });
        if (answerMs > 0) await clock.view().sleep(answerMs);
        done++;
      }),
    ),
  );
  const all = Promise.all(runs);
  for (let steps = 0; done < total; steps++) {
    const moved = steps < 100_000 && (await clock.step());
    if (!moved && done < total) throw new Error(`stuck after ${done} of ${total} creates`);
  }
  await all;
  return started;
}

/** The most creates that started within any window of `spanMs`. */
function busiestWindow(started: readonly Started[], spanMs: number): number {
  const times = started.map((s) => s.at).sort((a, b) => a - b);
  return Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + spanMs).length));
}

function shared(
  store: PacingStore,
  clock: PacerClock,
  name: string,
  options: { limit?: number; maxSkewMs?: number; storageWaitMs?: number; windowMs?: number } = {},
): SharedCreatePacer {
  let seed = name.length;
  return new SharedCreatePacer(store, {
    limit: options.limit ?? 4,
    windowMs: options.windowMs ?? WINDOW,
    clock,
    instanceId: name,
    maxSkewMs: options.maxSkewMs ?? 0,
    storageWaitMs: options.storageWaitMs ?? 10_000,
    random: () => {
      seed = (seed * 9301 + 49297) % 233280;
      return seed / 233280;
    },
    warn: () => undefined,
  });
}

describe("SharedCreatePacer", () => {
  it("keeps several instances together inside `limit` per window (+2%), where a pacer each draws N times it", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const names = ["a", "b", "c"];
    const started = await drive(
      clock,
      names.map((name) => ({ name, pacer: shared(store, clock.view(), name), count: 12 })),
      30,
    );
    expect(started).toHaveLength(36);
    expect(busiestWindow(started, SPACING)).toBeLessThanOrEqual(4);
    // Near the budget all the same: 36 creates at 4 per window, the last in the ninth window.
    const first = Math.min(...started.map((s) => s.at));
    expect(Math.max(...started.map((s) => s.at)) - first).toBeLessThan(9 * (SPACING + 30 + 250));
    // Every instance is served from the first windows on.
    for (const name of names) {
      expect(started.filter((s) => s.instance === name && s.at < first + 3 * SPACING).length).toBeGreaterThan(0);
    }

    const naiveClock = new ManualClock();
    const naive = await drive(
      naiveClock,
      names.map((name) => ({ name, pacer: new CertificateCreatePacer(4, WINDOW, naiveClock.view()), count: 12 })),
      30,
    );
    expect(busiestWindow(naive, SPACING)).toBe(12);
  });

  it("counts a slot from the create's answer: the next create on that slot waits for the answer + the window", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const a = shared(store, clock.view(), "a", { limit: 1 });
    const b = shared(store, clock.view(), "b", { limit: 1 });
    const started = await drive(
      clock,
      [
        { name: "a", pacer: a, count: 1 },
        { name: "b", pacer: b, count: 1 },
      ],
      400,
    );
    const [first, second] = [...started].sort((x, y) => x.at - y.at);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(400 + SPACING);
  });

  it("frees a slot whose holder died only when its lease ends", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    // An instance took the only slot and died before its create was answered.
    store.slots.set(0, { until: clock.now + FLIGHT_LEASE_MS + SPACING, owner: "dead", inFlight: true, etag: "v0" });
    const started = await drive(clock, [
      { name: "b", pacer: shared(store, clock.view(), "b", { limit: 1 }), count: 1 },
    ]);
    expect(started[0]!.at).toBeGreaterThanOrEqual(1_000_000 + FLIGHT_LEASE_MS + SPACING);
    expect(started[0]!.at).toBeLessThan(1_000_000 + FLIGHT_LEASE_MS + SPACING + 300);
  });

  it("stays inside the budget with clocks up to KEY_VAULT_PACING_CLOCK_SKEW_MS apart", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const skew = 300;
    const started = await drive(
      clock,
      [
        { name: "behind", pacer: shared(store, clock.view(-skew / 2), "behind", { maxSkewMs: skew }), count: 10 },
        { name: "ahead", pacer: shared(store, clock.view(skew / 2), "ahead", { maxSkewMs: skew }), count: 10 },
      ],
      20,
    );
    expect(busiestWindow(started, SPACING)).toBeLessThanOrEqual(4);
  });

  it("lets an instance with slower storage take its turn instead of losing every race for a slot", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const fast = shared(store, clock.view(), "fast", { limit: 2, windowMs: 10_000 });
    const slow = shared(slower(store, clock, 150), clock.view(), "slow", { limit: 2, windowMs: 10_000 });
    const started = await drive(clock, [
      { name: "fast", pacer: fast, count: 12 },
      { name: "slow", pacer: slow, count: 12 },
    ]);
    expect(busiestWindow(started, SPACING)).toBeLessThanOrEqual(2);
    const firstTwelve = [...started].sort((x, y) => x.at - y.at).slice(0, 12);
    expect(firstTwelve.filter((s) => s.instance === "slow").length).toBeGreaterThanOrEqual(3);
  });

  it("sends nothing while storage does not answer, and fails the step with a retryable error after the wait", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    store.down = true;
    let sent = 0;
    const run = shared(store, clock.view(), "a", { storageWaitMs: 5_000 }).run(() => {
      sent++;
      return Promise.resolve();
    });
    const outcome = run.then(
      () => "sent",
      (error: unknown) => error,
    );
    while (await clock.step());
    const error = await outcome;
    expect(error).toBeInstanceOf(CaStateError);
    expect((error as CaStateError).terminal).toBe(false);
    expect((error as Error).message).toMatch(/pacing table has not answered.*no create was sent/);
    expect(sent).toBe(0);
    expect(clock.now - 1_000_000).toBeGreaterThanOrEqual(5_000);
  });

  it("goes on once storage answers again within the wait", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    store.down = true;
    const pacer = shared(store, clock.view(), "a", { storageWaitMs: 60_000 });
    let sentAt: number | undefined;
    const run = pacer.run(() => {
      sentAt = clock.now;
      return Promise.resolve();
    });
    for (let i = 0; i < 5; i++) await clock.step();
    expect(sentAt).toBeUndefined();
    store.down = false;
    while (sentAt === undefined && (await clock.step()));
    await run;
    expect(sentAt).toBeDefined();
  });

  it("gives a slot back when the check answers false, and starts this process's creates in the order they asked", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const pacer = shared(store, clock.view(), "a", { limit: 1 });
    const skipped = await pacer.reserve(
      () => Promise.resolve(false),
      () => Promise.resolve(),
    );
    expect(skipped.started).toBe(false);
    const order: number[] = [];
    const runs = [0, 1, 2].map((n) =>
      pacer.run(() => {
        order.push(n);
        return Promise.resolve();
      }),
    );
    // The given-back slot is free at once: the first create starts without waiting a window.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([0]);
    while (order.length < 3 && (await clock.step()));
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2]);
  });
});

describe("SharedCreatePacer, a slot taken ahead of its end", () => {
  it("runs the check while it waits for the end, and given back frees no earlier than that end", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const end = clock.now + 600;
    store.slots.set(0, { until: end, owner: "other", inFlight: false, etag: "v0" });
    const pacer = shared(store, clock.view(), "a", { limit: 1 });
    let checkedAt: number | undefined;
    const reserved = pacer.reserve(
      () => {
        checkedAt = clock.now;
        return Promise.resolve(false);
      },
      () => Promise.resolve(),
    );
    while (checkedAt === undefined && (await clock.step()));
    expect(checkedAt).toBe(1_000_000);
    while (await clock.step());
    expect((await reserved).started).toBe(false);
    expect(store.slots.get(0)?.until).toBeGreaterThanOrEqual(end);
  });
});

describe("SharedCreatePacer, slots taken side by side", () => {
  it("takes the next slot ending soon while its earlier create waits for its slot's end, not after it", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    // Two slots another instance used, both ending in a second (the lookahead); storage answers in 150 ms.
    const end = clock.now + 1_000;
    for (const index of [0, 1])
      store.slots.set(index, { until: end, owner: "other", inFlight: false, etag: `v${index}` });
    const pacer = shared(slower(store, clock, 150), clock.view(), "a", { limit: 2 });
    const started = await drive(clock, [{ name: "a", pacer, count: 2 }]);
    // Both slots were taken (read + write, twice) within the wait: both creates go at the end, none a round trip late.
    expect(started.map((s) => s.at)).toEqual([end, end]);
  });

  it("takes another instance's slot a window after first reading it answered, not only after its end + the skew", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const skew = 5_000;
    const a = shared(store, clock.view(), "a", { limit: 1, maxSkewMs: skew });
    const b = shared(store, clock.view(), "b", { limit: 1, maxSkewMs: skew });
    const started = await drive(
      clock,
      [
        { name: "a", pacer: a, count: 1 },
        { name: "b", pacer: b, count: 1 },
      ],
      30,
    );
    const [first, second] = [...started].sort((x, y) => x.at - y.at);
    const answeredAt = first!.at + 30;
    // Never inside the window of the first create's answer...
    expect(second!.at - answeredAt).toBeGreaterThanOrEqual(SPACING);
    // ...and not held back by the assumed skew: the second instance read the slot answered within a poll of it.
    expect(second!.at - answeredAt).toBeLessThan(SPACING + 1_000 + 30);
  });
});

describe("SharedCreatePacer, a long wait for a slot", () => {
  it("keeps its waiter row live while it sleeps, so the others go on leaving it its turn", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const start = clock.now;
    // The only slot, just answered by another instance: it frees in a window, a wait longer than a waiter row lives.
    store.slots.set(0, { until: start + 10_200, owner: "other", inFlight: false, etag: "v0" });
    const pacer = shared(store, clock.view(), "a", { limit: 1, windowMs: 10_000 });
    let sentAt: number | undefined;
    const run = pacer.run(() => {
      sentAt = clock.now;
      return Promise.resolve();
    });
    const live: boolean[] = [];
    for (const ms of [3_000, 6_000, 9_000]) {
      while (clock.now < start + ms && (await clock.step()));
      const row = store.waiters.get("a");
      live.push(row !== undefined && row.expires > clock.now);
    }
    expect(live).toEqual([true, true, true]);
    expect(sentAt).toBeUndefined();
    while (sentAt === undefined && (await clock.step()));
    await run;
    expect(sentAt).toBeGreaterThanOrEqual(start + 10_200);
  });
});
