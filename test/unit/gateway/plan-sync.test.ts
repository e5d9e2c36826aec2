import {
  GatewayCapacityError,
  MAX_REVOKED_CERTIFICATES,
  MAX_ROOT_CERTIFICATES,
  pendingChangeCount,
  planSync,
  revokedEntryName,
  satisfies,
} from "../../../src/domain/gateway-config";
import type { DesiredState, P2sCertificateState } from "../../../src/domain/gateway-config";

const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const root = { name: "p2s-root-ca", publicCertData: "MIIBroot" };
const handRoot = { name: "legacy-root", publicCertData: "MIIBlegacy" };
const handRevoked = { name: "contractor-laptop", thumbprint: tp(999) };

const desired = (over: Partial<DesiredState> = {}): DesiredState => ({
  roots: [root],
  revokedThumbprints: [],
  expiredThumbprints: [],
  ...over,
});

describe("planSync", () => {
  it("adds the managed root and revocations while preserving hand-added entries", () => {
    const actual: P2sCertificateState = { roots: [handRoot], revoked: [handRevoked] };
    const plan = planSync(actual, desired({ revokedThumbprints: [tp(2), tp(1)] }));
    expect(plan.changed).toBe(true);
    expect(plan.rootsAdded).toEqual(["p2s-root-ca"]);
    expect(plan.next.roots).toEqual([handRoot, root]);
    expect(plan.next.revoked).toEqual([
      handRevoked,
      { name: revokedEntryName(tp(1)), thumbprint: tp(1) },
      { name: revokedEntryName(tp(2)), thumbprint: tp(2) },
    ]);
    expect(satisfies(plan.next, desired({ revokedThumbprints: [tp(1), tp(2)] }))).toBe(true);
  });

  it("is a no-op when the gateway already holds the desired state", () => {
    const actual: P2sCertificateState = {
      roots: [root],
      revoked: [{ name: revokedEntryName(tp(1)), thumbprint: tp(1) }],
    };
    expect(planSync(actual, desired({ revokedThumbprints: [tp(1)] })).changed).toBe(false);
  });

  it("counts a hand-added entry for a desired thumbprint as present, whatever its case", () => {
    const actual: P2sCertificateState = {
      roots: [root],
      revoked: [{ name: "by-hand", thumbprint: tp(7).toLowerCase() }],
    };
    expect(planSync(actual, desired({ revokedThumbprints: [tp(7)] })).changed).toBe(false);
  });

  it("prunes app-owned revocations of expired certificates only", () => {
    const actual: P2sCertificateState = {
      roots: [root],
      revoked: [
        { name: revokedEntryName(tp(1)), thumbprint: tp(1) },
        { name: revokedEntryName(tp(2)), thumbprint: tp(2) },
        { name: "by-hand", thumbprint: tp(3) },
      ],
    };
    const plan = planSync(actual, desired({ expiredThumbprints: [tp(1), tp(3)] }));
    expect(plan.prunedRevocations).toEqual([tp(1)]);
    // tp(2) is no longer desired but not known to be expired: never dropped. tp(3) is hand-added: preserved.
    expect(plan.next.revoked.map((r) => r.thumbprint)).toEqual([tp(2), tp(3)]);
  });

  it("repairs a revocation removed by hand (drift)", () => {
    const plan = planSync({ roots: [root], revoked: [] }, desired({ revokedThumbprints: [tp(5)] }));
    expect(plan.addedRevocations).toEqual([tp(5)]);
  });

  it("updates the managed root's data when it changed", () => {
    const plan = planSync({ roots: [{ name: "P2S-ROOT-CA", publicCertData: "old" }], revoked: [] }, desired());
    expect(plan.rootsUpdated).toEqual(["p2s-root-ca"]);
    expect(plan.next.roots).toEqual([root]);
  });

  it("over 300 revocations, writes the 300 that stay valid longest, keeps hand-added ones and names the rest", () => {
    const hand = Array.from({ length: 10 }, (_, i) => ({ name: `hand-${i}`, thumbprint: tp(10_000 + i) }));
    const wanted = Array.from({ length: MAX_REVOKED_CERTIFICATES - 9 }, (_, i) => tp(i + 1));
    // tp(n) expires on day n: tp(1) expires soonest.
    const revocationInfo = Object.fromEntries(
      wanted.map((t, i) => [t, { notAfter: new Date(Date.UTC(2030, 0, 1 + i)).toISOString() }]),
    );
    const plan = planSync({ roots: [root], revoked: hand }, desired({ revokedThumbprints: wanted, revocationInfo }));
    expect(plan.next.revoked).toHaveLength(300);
    expect(plan.next.revoked.slice(0, 10)).toEqual(hand);
    expect(plan.leftOff).toEqual([{ thumbprint: tp(1), notAfter: "2030-01-01T00:00:00.000Z", wasOnGateway: false }]);
    expect(plan.addedRevocations).toHaveLength(290);
    expect(plan.addedRevocations).not.toContain(tp(1));
  });

  it("fits exactly 300", () => {
    const wanted = Array.from({ length: MAX_REVOKED_CERTIFICATES }, (_, i) => tp(i + 1));
    expect(planSync({ roots: [root], revoked: [] }, desired({ revokedThumbprints: wanted })).next.revoked).toHaveLength(
      300,
    );
  });

  it("refuses a 21st root", () => {
    const roots = Array.from({ length: 20 }, (_, i) => ({ name: `r${i}`, publicCertData: `d${i}` }));
    expect(() => planSync({ roots, revoked: [] }, desired())).toThrow(/at most 20/);
  });
});

describe("planSync with odd hand-made entries", () => {
  it("keeps an entry whose thumbprint is not 40 hex digits instead of failing", () => {
    const odd = { name: "odd", thumbprint: "not-a-thumbprint" };
    const plan = planSync({ roots: [root], revoked: [odd] }, desired({ revokedThumbprints: [tp(1)] }));
    expect(plan.next.revoked[0]).toEqual(odd);
    expect(plan.addedRevocations).toEqual([tp(1)]);
  });
});

describe("pendingChangeCount", () => {
  it("counts what the writer still has to apply; a revocation left off for want of room is not pending", () => {
    const full: P2sCertificateState = {
      roots: [root],
      revoked: Array.from({ length: MAX_REVOKED_CERTIFICATES }, (_, i) => ({ name: `hand-${i}`, thumbprint: tp(i) })),
    };
    const wanted = desired({ revokedThumbprints: [tp(1000), tp(1001), tp(1)] });
    // tp(1) is on the gateway already (by hand); the other two have no room: left off, not pending.
    expect(planSync(full, wanted).leftOff.map((l) => l.thumbprint)).toEqual([tp(1000), tp(1001)]);
    expect(pendingChangeCount(full, wanted)).toBe(0);
    expect(planSync(full, wanted).changed).toBe(false);
    expect(satisfies(full, wanted)).toBe(true);
    const room = { ...full, revoked: full.revoked.slice(1) };
    expect(pendingChangeCount(room, wanted)).toBe(1);
  });
});

describe("planSync, what counts as a change", () => {
  it("is a change to update a root or to prune a revocation alone", () => {
    expect(planSync({ roots: [{ ...root, publicCertData: "old" }], revoked: [] }, desired()).changed).toBe(true);
    const owned = { name: revokedEntryName(tp(4)), thumbprint: tp(4) };
    const plan = planSync({ roots: [root], revoked: [owned] }, desired({ expiredThumbprints: [tp(4)] }));
    expect(plan.changed).toBe(true);
    expect(plan.next.revoked).toEqual([]);
  });

  it("never prunes a revocation that is still desired, even when the ledger also calls it expired", () => {
    const owned = { name: revokedEntryName(tp(4)), thumbprint: tp(4) };
    const plan = planSync(
      { roots: [root], revoked: [owned] },
      desired({ revokedThumbprints: [tp(4)], expiredThumbprints: [tp(4)] }),
    );
    expect(plan.prunedRevocations).toEqual([]);
    expect(plan.next.revoked).toEqual([owned]);
    expect(plan.changed).toBe(false);
  });

  it("counts each kind of pending change: roots added and updated, revocations added and pruned", () => {
    const other = { name: "second-root", publicCertData: "MIIBsecond" };
    const actual: P2sCertificateState = {
      roots: [{ ...root, publicCertData: "old" }],
      revoked: [{ name: revokedEntryName(tp(4)), thumbprint: tp(4) }],
    };
    const want = desired({ roots: [root, other], revokedThumbprints: [tp(5)], expiredThumbprints: [tp(4)] });
    const plan = planSync(actual, want);
    expect([plan.rootsAdded, plan.rootsUpdated, plan.addedRevocations, plan.prunedRevocations]).toEqual([
      ["second-root"],
      ["p2s-root-ca"],
      [tp(5)],
      [tp(4)],
    ]);
    expect(pendingChangeCount(actual, want)).toBe(4);
    expect(pendingChangeCount(plan.next, want)).toBe(0);
  });
});

describe("gateway limits", () => {
  it("fits exactly 20 roots", () => {
    const roots = Array.from({ length: MAX_ROOT_CERTIFICATES - 1 }, (_, i) => ({
      name: `r${i}`,
      publicCertData: `d${i}`,
    }));
    expect(planSync({ roots, revoked: [] }, desired()).next.roots).toHaveLength(20);
  });

  it("says which limit, what was needed and what the gateway holds", () => {
    const roots = Array.from({ length: MAX_ROOT_CERTIFICATES }, (_, i) => ({ name: `r${i}`, publicCertData: `d${i}` }));
    let error: unknown;
    try {
      planSync({ roots, revoked: [] }, desired());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GatewayCapacityError);
    expect(error).toMatchObject({
      name: "GatewayCapacityError",
      limit: "roots",
      needed: 21,
      capacity: 20,
      message: "the gateway would need 21 root certificates but holds at most 20: nothing was written",
    });
    const revocations = new GatewayCapacityError("revocations", 301, 300);
    expect(revocations.message).toBe(
      "the gateway would need 301 revoked certificates but holds at most 300: nothing was written and nothing was " +
        "dropped; shorten client certificate validity or remove hand-added entries",
    );
  });
});

describe("satisfies", () => {
  const revokedOne: P2sCertificateState = { roots: [root], revoked: [{ name: "x", thumbprint: tp(1).toLowerCase() }] };

  it("holds when every desired root (any case of its name, same data) and revocation is there", () => {
    const upper = { roots: [{ ...root, name: "P2S-ROOT-CA" }], revoked: revokedOne.revoked };
    expect(satisfies(upper, desired({ revokedThumbprints: [tp(1)] }))).toBe(true);
  });

  it("fails on a root of the same data under another name", () => {
    expect(satisfies({ ...revokedOne, roots: [{ ...root, name: "other-root" }] }, desired())).toBe(false);
  });

  it("fails on a missing or stale root and on a missing revocation", () => {
    expect(satisfies({ ...revokedOne, roots: [] }, desired())).toBe(false);
    expect(satisfies({ ...revokedOne, roots: [handRoot] }, desired())).toBe(false);
    expect(satisfies({ ...revokedOne, roots: [{ ...root, publicCertData: "old" }] }, desired())).toBe(false);
    expect(satisfies(revokedOne, desired({ revokedThumbprints: [tp(1), tp(2)] }))).toBe(false);
  });
});

// Added after session 24's full Stryker run: the retirement and displacement counts had never been scored.
describe("planSync, retired roots and displaced revocations", () => {
  const oldRoot = { name: "Old-Root", publicCertData: "MIIBold" };
  const owned = (n: number): { name: string; thumbprint: string } => ({
    name: revokedEntryName(tp(n)),
    thumbprint: tp(n),
  });
  const day = (n: number): string => new Date(Date.UTC(2030, 0, 1 + n)).toISOString();

  it("retires a root even while it is still listed as desired, whatever the names' case", () => {
    const want = desired({ roots: [root, oldRoot], retiredRootNames: ["old-root"] });
    const plan = planSync({ roots: [root, oldRoot], revoked: [] }, want);
    expect(plan.rootsRetired).toEqual(["Old-Root"]);
    expect(plan.rootsAdded).toEqual([]);
    expect(plan.next.roots).toEqual([root]);
    expect(plan.changed).toBe(true);
    expect(satisfies({ roots: [root, oldRoot], revoked: [] }, want)).toBe(false);
    expect(satisfies(plan.next, want)).toBe(true);
    expect(pendingChangeCount({ roots: [root, oldRoot], revoked: [] }, want)).toBe(1);
  });

  it("counts a retirement, a displaced revocation, an addition and a prune each as pending", () => {
    // 299 revocations it owns plus an expired one fill the gateway; two more are wanted, so the one that expires
    // soonest (tp(1), on the gateway) makes way: it is displaced, not merely left off.
    const revoked = [...Array.from({ length: 299 }, (_, i) => owned(i + 1)), owned(500)];
    const wanted = Array.from({ length: 301 }, (_, i) => tp(i + 1));
    const revocationInfo = Object.fromEntries(wanted.map((t, i) => [t, { notAfter: day(i) }]));
    const want = desired({
      roots: [root],
      retiredRootNames: ["old-root"],
      revokedThumbprints: wanted,
      expiredThumbprints: [tp(500)],
      revocationInfo,
    });
    const actual = { roots: [root, oldRoot], revoked };
    const plan = planSync(actual, want);
    expect(plan.leftOff).toEqual([{ thumbprint: tp(1), notAfter: day(0), wasOnGateway: true }]);
    expect([plan.addedRevocations, plan.prunedRevocations, plan.rootsRetired]).toEqual([
      [tp(300), tp(301)],
      [tp(500)],
      ["Old-Root"],
    ]);
    expect(pendingChangeCount(actual, want)).toBe(5);
  });

  it("is a change when the only thing to do is displace a revocation for one that stays valid longer", () => {
    const revoked = Array.from({ length: 300 }, (_, i) => owned(i + 1));
    const wanted = Array.from({ length: 301 }, (_, i) => tp(i + 1));
    const revocationInfo = Object.fromEntries(wanted.map((t, i) => [t, { notAfter: day(i) }]));
    const actual = { roots: [root], revoked };
    const plan = planSync(actual, desired({ revokedThumbprints: wanted, revocationInfo }));
    expect(plan.changed).toBe(true);
    expect(plan.leftOff.map((l) => [l.thumbprint, l.wasOnGateway])).toEqual([[tp(1), true]]);
    expect(plan.addedRevocations).toEqual([tp(301)]);
  });
});
