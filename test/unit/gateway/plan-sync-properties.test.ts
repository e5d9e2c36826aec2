// Issue 14: the planner's rules as properties over random gateways and ledgers. Retired roots (and only they) leave
// the gateway; a revocation whose issuing root is not on the gateway is neither added nor kept; hand-added entries
// are never touched; over 300 entries the ones that stay valid longest are written and the rest named, never a throw;
// and the written state is a fixed point (the writer neither loops nor calls it unverified).
import fc from "fast-check";
import {
  isAppOwnedRevocation,
  MAX_REVOKED_CERTIFICATES,
  pendingChangeCount,
  planSync,
  revokedEntryName,
  satisfies,
} from "../../../src/domain/gateway-config";
import type {
  DesiredState,
  P2sCertificateState,
  RevocationInfo,
  RevokedEntry,
  RootEntry,
} from "../../../src/domain/gateway-config";
import { thumbprintOf } from "../../../src/domain/thumbprint";

const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const DAY = 86_400_000;
const BASE = Date.UTC(2031, 0, 1);
/** A root thumbprint no gateway holds (a root the ledger knows that is gone). */
const FOREIGN = "F".repeat(40);

interface Scenario {
  readonly actual: P2sCertificateState;
  readonly desired: DesiredState;
  readonly rootThumbprints: ReadonlyMap<string, string>;
}

const rootPool = fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 6 }), {
  minLength: 4,
  maxLength: 4,
  selector: (b) => Buffer.from(b).toString("hex"),
});

const revocation = fc.record({
  onGateway: fc.constantFrom("none", "none", "owned", "owned", "hand"),
  wanted: fc.boolean(),
  expired: fc.boolean(),
  // -1: root unknown to the ledger; 4: a root no gateway holds; 0-3: a pool root.
  root: fc.integer({ min: -1, max: 4 }),
  notAfterDay: fc.option(fc.integer({ min: 0, max: 40 }), { freq: 5 }),
});

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    pool: rootPool,
    onGateway: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    managed: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    retired: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    handRoot: fc.boolean(),
    revocations: fc.oneof(
      fc.array(revocation, { maxLength: 40 }),
      fc.array(revocation, { minLength: 280, maxLength: 420 }),
    ),
  })
  .map(({ pool, onGateway, managed, retired, handRoot, revocations }) => {
    const roots: RootEntry[] = pool.map((bytes, i) => ({
      name: `p2s-root-g${i}`,
      publicCertData: Buffer.from(bytes).toString("base64"),
    }));
    const rootThumbprints = new Map(roots.map((r) => [r.name, thumbprintOf(Buffer.from(r.publicCertData, "base64"))]));
    const hand: RootEntry[] = handRoot ? [{ name: "legacy-root", publicCertData: "bGVnYWN5" }] : [];
    const revoked: RevokedEntry[] = [];
    const wanted: string[] = [];
    const expired: string[] = [];
    const info: Record<string, RevocationInfo> = {};
    revocations.forEach((r, i) => {
      const thumbprint = tp(i + 1);
      if (r.onGateway === "owned") revoked.push({ name: revokedEntryName(thumbprint), thumbprint });
      if (r.onGateway === "hand") revoked.push({ name: `hand-${i}`, thumbprint });
      if (r.wanted) wanted.push(thumbprint);
      if (r.expired) expired.push(thumbprint);
      const root = r.root === 4 ? FOREIGN : r.root >= 0 ? rootThumbprints.get(`p2s-root-g${r.root}`) : undefined;
      info[thumbprint] = {
        ...(root === undefined ? {} : { rootThumbprint: root }),
        ...(r.notAfterDay === null ? {} : { notAfter: new Date(BASE + r.notAfterDay * DAY).toISOString() }),
      };
    });
    return {
      actual: { roots: [...hand, ...roots.filter((_, i) => onGateway[i])], revoked },
      desired: {
        roots: roots.filter((_, i) => managed[i] && !retired[i]),
        retiredRootNames: [...roots.filter((_, i) => retired[i]).map((r) => r.name), "never-on-any-gateway"],
        revokedThumbprints: wanted,
        expiredThumbprints: expired,
        revocationInfo: info,
      },
      rootThumbprints,
    };
  });

const notAfterMs = (desired: DesiredState, thumbprint: string): number => {
  const at = desired.revocationInfo?.[thumbprint]?.notAfter;
  return at === undefined ? Number.POSITIVE_INFINITY : Date.parse(at);
};

const RUNS = { numRuns: 150 };

describe("planSync properties (issue 14)", () => {
  it("removes every retired root on the gateway, and never any other root", () => {
    fc.assert(
      fc.property(scenario, ({ actual, desired }) => {
        const plan = planSync(actual, desired);
        const retired = new Set(desired.retiredRootNames);
        const names = plan.next.roots.map((r) => r.name);
        for (const root of actual.roots) {
          expect(names.includes(root.name)).toBe(!retired.has(root.name));
        }
        expect([...plan.rootsRetired].sort()).toEqual(
          actual.roots
            .filter((r) => retired.has(r.name))
            .map((r) => r.name)
            .sort(),
        );
      }),
      RUNS,
    );
  });

  it("neither adds nor keeps an app-owned revocation whose issuing root is not on the next gateway", () => {
    fc.assert(
      fc.property(scenario, ({ actual, desired }) => {
        const plan = planSync(actual, desired);
        const onNext = new Set(plan.next.roots.map((r) => thumbprintOf(Buffer.from(r.publicCertData, "base64"))));
        for (const entry of plan.next.revoked.filter(isAppOwnedRevocation)) {
          const root = desired.revocationInfo?.[entry.thumbprint]?.rootThumbprint;
          if (root !== undefined) expect(onNext.has(root)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("keeps every hand-added entry as it is, and never writes more than 300 entries of its own", () => {
    fc.assert(
      fc.property(scenario, ({ actual, desired }) => {
        const plan = planSync(actual, desired);
        const hand = actual.revoked.filter((e) => !isAppOwnedRevocation(e));
        const next = new Set(plan.next.revoked.map((e) => `${e.name}|${e.thumbprint}`));
        expect(hand.filter((e) => !next.has(`${e.name}|${e.thumbprint}`))).toEqual([]);
        expect(plan.next.revoked.length).toBeLessThanOrEqual(Math.max(MAX_REVOKED_CERTIFICATES, hand.length));
      }),
      RUNS,
    );
  });

  it("writes every wanted revocation of a trusted or unknown root, or names it left off only when the list is full", () => {
    fc.assert(
      fc.property(scenario, ({ actual, desired }) => {
        const plan = planSync(actual, desired);
        const onNext = new Set(plan.next.roots.map((r) => thumbprintOf(Buffer.from(r.publicCertData, "base64"))));
        const written = new Set(plan.next.revoked.map((e) => e.thumbprint));
        const leftOff = new Set(plan.leftOff.map((l) => l.thumbprint));
        for (const thumbprint of desired.revokedThumbprints) {
          const root = desired.revocationInfo?.[thumbprint]?.rootThumbprint;
          if (root !== undefined && !onNext.has(root)) continue;
          expect(written.has(thumbprint) !== leftOff.has(thumbprint)).toBe(true);
        }
        if (plan.leftOff.length > 0) expect(plan.next.revoked.length).toBeGreaterThanOrEqual(MAX_REVOKED_CERTIFICATES);
      }),
      RUNS,
    );
  });

  it("leaves off only revocations that expire no later than every one of its own it writes", () => {
    fc.assert(
      fc.property(scenario, ({ actual, desired }) => {
        const plan = planSync(actual, desired);
        if (plan.leftOff.length === 0) return;
        const latestLeftOff = Math.max(...plan.leftOff.map((l) => notAfterMs(desired, l.thumbprint)));
        for (const entry of plan.next.revoked.filter(isAppOwnedRevocation)) {
          expect(notAfterMs(desired, entry.thumbprint)).toBeGreaterThanOrEqual(latestLeftOff);
        }
        for (const l of plan.leftOff) {
          expect(l.notAfter).toBe(desired.revocationInfo?.[l.thumbprint]?.notAfter);
          expect(l.wasOnGateway).toBe(actual.revoked.some((e) => e.thumbprint === l.thumbprint));
        }
      }),
      RUNS,
    );
  });

  it("reaches a fixed point: the written state satisfies, has nothing pending and plans no write", () => {
    fc.assert(
      fc.property(scenario, ({ actual, desired }) => {
        const plan = planSync(actual, desired);
        const again = planSync(plan.next, desired);
        expect(again.changed).toBe(false);
        expect(satisfies(plan.next, desired)).toBe(true);
        expect(pendingChangeCount(plan.next, desired)).toBe(0);
        // The same revocations stay left off, now none of them on the gateway.
        expect(again.leftOff.map((l) => l.thumbprint)).toEqual(plan.leftOff.map((l) => l.thumbprint));
        expect(again.leftOff.every((l) => !l.wasOnGateway)).toBe(true);
      }),
      RUNS,
    );
  });
});
