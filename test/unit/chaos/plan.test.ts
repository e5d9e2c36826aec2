// The chaos plan: the same seed draws the same requests; each way in is only sent for a user it applies to; every way
// in of the mix gets used; a new entry joins the mix without other changes; the root rotations are few, and a run
// that cancels one leaves a later one to run to the end.
import { MIX, ROOT_ROTATION, planRequests, rotationsToCancel } from "../../../bench/chaos/plan";
import type { MixEntry, UserState } from "../../../bench/chaos/plan";
import { WAYS } from "../../../bench/chaos/ways-in";
import { parseArgs } from "../../../bench/chaos/main";

const users = Array.from({ length: 12 }, (_, i) => `u${String(i)}@contoso.com`);

describe("chaos plan", () => {
  it("is reproducible from its seed, and another seed draws another plan", () => {
    const names = (seed: number) => planRequests(seed, 200, users).map((p) => `${p.entry.name} ${p.user}`);
    expect(names(5)).toEqual(names(5));
    expect(names(6)).not.toEqual(names(5));
  });

  it("sends each way in only for a user whose state it applies to, and uses every way in", () => {
    const states = new Map<string, UserState>(users.map((u) => [u, "new"]));
    const used = new Set<string>();
    for (const planned of planRequests(9, 400, users)) {
      const applies = planned.entry.appliesTo;
      expect(applies === "any" || applies.includes(states.get(planned.user) ?? "new")).toBe(true);
      if (planned.entry.leaves !== undefined) states.set(planned.user, planned.entry.leaves);
      used.add(planned.entry.name);
    }
    expect([...used].sort()).toEqual(MIX.map((e) => e.name).sort());
  });

  it("has a way in for every entry of the mix", () => {
    expect(Object.keys(WAYS).sort()).toEqual(MIX.map((e) => e.name).sort());
  });

  it("takes a new entry about no one user as one more row", () => {
    const audit: MixEntry = { name: "audit export", weight: 50, appliesTo: "any" };
    const planned = planRequests(3, 50, users, [...MIX, audit]);
    expect(planned.some((p) => p.entry.name === "audit export")).toBe(true);
  });

  it("starts a root rotation in the default run and in seed 21's 40 requests, and cancels only one with a later left", () => {
    const rotations = (seed: number, count: number, userCount: number) => {
      const all = Array.from({ length: userCount }, (_, i) => `u${String(i)}@contoso.com`);
      const planned = planRequests(seed, count, all);
      const cancelled = rotationsToCancel(seed, planned);
      const indexes = planned.filter((p) => p.entry.name === ROOT_ROTATION).map((p) => p.index);
      return { indexes, cancelled: [...cancelled], last: indexes.at(-1) };
    };
    const defaultRun = rotations(20261206, 400, 100);
    expect(defaultRun.indexes.length).toBeGreaterThan(0);
    // The last rotation is never the cancelled one: it runs to the end.
    expect(defaultRun.cancelled).not.toContain(defaultRun.last);
    expect(rotations(21, 40, 10).indexes.length).toBeGreaterThan(0);
    const odd = rotations(21, 400, 100);
    expect(odd.cancelled).toEqual(odd.indexes.slice(0, 1));
    expect(rotations(20, 400, 100).cancelled).toEqual([]);
  });

  it("reads --seed and --requests, with the defaults", () => {
    expect(parseArgs([])).toEqual({ seed: 20261206, requests: 400 });
    expect(parseArgs(["--seed", "7", "--requests", "40", "--users", "9"])).toEqual({ seed: 7, requests: 40, users: 9 });
    expect(() => parseArgs(["--seed", "x"])).toThrow(/whole number/);
  });
});
