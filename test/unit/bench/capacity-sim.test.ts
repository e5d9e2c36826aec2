// bench:capacity's pure parts: the seeded events follow the issue's rates, the rotation policy's decisions, and a
// small simulation that is reproducible from its seed.
import { DAYS_PER_YEAR, drawDay, ISSUE_RATES, Organisation } from "../../../bench/capacity-org";
import { collectionDelay, DEFAULT_COLLECTION, retireReason, rotationTrigger } from "../../../bench/capacity-policy";
import type { RotationSettings } from "../../../bench/capacity-policy";
import { MemoryPort } from "../../../bench/capacity-port";
import { SeededRandom } from "../../../bench/capacity-random";
import { simulate } from "../../../bench/capacity-sim";

const rates = { users: 5000, ...ISSUE_RATES };

describe("bench:capacity events", () => {
  it("draws about 750 leavers, 1,200 lost devices and a tenth of hires as rehires a year for 5,000 users", () => {
    const random = new SeededRandom(7);
    const active = Array.from({ length: 5000 }, (_, i) => i);
    const former = Array.from({ length: 1000 }, (_, i) => 5000 + i);
    const totals = { leavers: 0, hires: 0, rehires: 0, lostDevices: 0 };
    for (let day = 0; day < DAYS_PER_YEAR; day++) {
      const drawn = drawDay(random, active, former, rates);
      totals.leavers += drawn.leavers.length;
      totals.hires += drawn.hires.length;
      totals.rehires += drawn.hires.filter((id) => id !== undefined).length;
      totals.lostDevices += drawn.lostDevices.length;
      expect(drawn.hires.every((id) => id === undefined || former.includes(id))).toBe(true);
    }
    // 15 % of 5,000 = 750 (sd ~27); 2 % a month = 1,200 a year (sd ~34); 10 % of ~750 hires = 75 (sd ~8).
    expect(totals.leavers).toBeGreaterThan(670);
    expect(totals.leavers).toBeLessThan(830);
    expect(totals.hires).toBe(totals.leavers);
    expect(totals.lostDevices).toBeGreaterThan(1100);
    expect(totals.lostDevices).toBeLessThan(1300);
    expect(totals.rehires).toBeGreaterThan(45);
    expect(totals.rehires).toBeLessThan(110);
  });

  it("keeps the headcount: every leaver's live certificates revoked, every hire given one", () => {
    const org = new Organisation(
      new SeededRandom(2),
      { ...rates, users: 800 },
      { validityDays: 180, renewalDays: 14 },
      "root",
    );
    let leavers = 0;
    let revoked = 0;
    for (let day = 0; day < 60; day++) {
      const outcome = org.live(day + 0.5, "root");
      leavers += outcome.leavers;
      revoked += outcome.revoked.length;
      expect(outcome.hires).toBe(outcome.leavers);
    }
    expect(org.activeCount).toBe(800);
    expect(revoked).toBeGreaterThanOrEqual(leavers);
  });

  it("renews a certificate CLIENT_RENEWAL_DAYS before it expires, every user about twice a year", () => {
    const org = new Organisation(
      new SeededRandom(3),
      { ...rates, users: 300 },
      { validityDays: 180, renewalDays: 14 },
      "root",
    );
    let renewals = 0;
    for (let day = 0; day < DAYS_PER_YEAR; day++) renewals += org.live(day + 0.5, "root").renewals;
    // 365 / 166 days a cycle, less the users whose lost device restarted their cycle.
    expect(renewals).toBeGreaterThan(540);
    expect(renewals).toBeLessThan(690);
  });

  it("is the same for the same seed, and different for another", () => {
    const day = (seed: number) =>
      drawDay(
        new SeededRandom(seed),
        Array.from({ length: 5000 }, (_, i) => i),
        [1, 2, 3],
        rates,
      );
    expect(day(11)).toEqual(day(11));
    expect(day(11)).not.toEqual(day(12));
  });
});

describe("bench:capacity rotation policy", () => {
  const settings: RotationSettings = { auto: true, thresholdPercent: 80, graceDays: 14, beforeExpiryDays: 90 };
  const now = new Date("2028-01-01T00:00:00Z");
  const far = new Date("2035-01-01T00:00:00Z");

  it("starts at 80 % of 300 with automatic rotation on, never without it", () => {
    expect(rotationTrigger(settings, 239, 300, far, now)).toBeUndefined();
    expect(rotationTrigger(settings, 240, 300, far, now)).toBe("capacity");
    expect(rotationTrigger({ ...settings, auto: false }, 300, 300, far, now)).toBeUndefined();
  });

  it("starts ROOT_ROTATION_BEFORE_EXPIRY_DAYS before the root expires, with or without automatic rotation", () => {
    const soon = new Date(now.getTime() + 90 * 86_400_000);
    expect(rotationTrigger({ ...settings, auto: false }, 0, 300, soon, now)).toBe("schedule");
    expect(rotationTrigger({ ...settings, auto: false }, 0, 300, new Date(soon.getTime() + 1), now)).toBeUndefined();
    expect(rotationTrigger({ ...settings, auto: false, beforeExpiryDays: 0 }, 0, 300, now, now)).toBeUndefined();
  });

  it("retires once everybody has collected, at once when the list would reach the mark, else after the grace", () => {
    const started = new Date(now.getTime() - 13 * 86_400_000);
    const marked = { ...settings, retireAtPercent: 95 };
    expect(retireReason(marked, started, now, 5, 284, 300)).toBeUndefined();
    expect(retireReason(marked, started, now, 0, 299, 300)).toBe("collected");
    expect(retireReason(marked, started, now, 5, 285, 300)).toBe("capacity");
    expect(retireReason(settings, started, now, 5, 299, 300)).toBeUndefined();
    expect(retireReason(marked, new Date(now.getTime() - 14 * 86_400_000), now, 5, 0, 300)).toBe("grace");
  });

  it("has most users collect within days, some within weeks, a few never", () => {
    const random = new SeededRandom(5);
    const delays = Array.from({ length: 10_000 }, () =>
      collectionDelay(DEFAULT_COLLECTION, random.next(), random.next()),
    );
    const share = (p: (d: number) => boolean) => delays.filter(p).length / delays.length;
    expect(share((d) => d <= 3)).toBeCloseTo(0.7, 1);
    expect(share((d) => d > 3 && d <= 30)).toBeCloseTo(0.25, 1);
    expect(share((d) => d === Number.POSITIVE_INFINITY)).toBeCloseTo(0.05, 1);
  });
});

describe("bench:capacity simulation", () => {
  const small = (auto: boolean) => ({
    seed: 9,
    years: 0.5,
    rates: { ...rates, users: 300 },
    policy: { validityDays: 180, renewalDays: 14 },
    pruneMarginHours: 24,
    pruneLookbackDays: 30,
    rootValidityYears: 10,
    rotation: { auto, thresholdPercent: 80, graceDays: 3, beforeExpiryDays: 90 },
    collection: DEFAULT_COLLECTION,
  });

  it("reproduces its figures from the seed", async () => {
    const a = await simulate(small(false), new MemoryPort());
    const b = await simulate(small(false), new MemoryPort());
    expect(b).toEqual({ ...a, readMs: b.readMs });
    expect(a.rotations).toEqual({ capacity: 0, schedule: 0 });
    expect(a.peakList).toBeLessThanOrEqual(300);
  });
});
