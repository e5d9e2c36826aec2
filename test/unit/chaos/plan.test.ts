// The chaos plan: the same seed draws the same requests; each way in is only sent for a user it applies to; every way
// in of the mix gets used; a new entry (as root rotation will be) joins the mix without other changes.
import { MIX, planRequests } from "../../../bench/chaos/plan";
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

  it("takes a new entry about no one user (a root rotation) as one more row", () => {
    const rotation: MixEntry = { name: "root rotation", weight: 50, appliesTo: "any" };
    const planned = planRequests(3, 50, users, [...MIX, rotation]);
    expect(planned.some((p) => p.entry.name === "root rotation")).toBe(true);
  });

  it("reads --seed and --requests, with the defaults", () => {
    expect(parseArgs([])).toEqual({ seed: 20261206, requests: 400 });
    expect(parseArgs(["--seed", "7", "--requests", "40", "--users", "9"])).toEqual({ seed: 7, requests: 40, users: 9 });
    expect(() => parseArgs(["--seed", "x"])).toThrow(/whole number/);
  });
});
