import { MAX_REVOKED_CERTIFICATES, revokedEntryName } from "../../../src/domain/gateway-config";
import type { DesiredState, RevokedEntry } from "../../../src/domain/gateway-config";
import { comparable, planRevocations, rootThumbprints } from "../../../src/domain/revocation-selection";
import { thumbprintOf } from "../../../src/domain/thumbprint";

const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const owned = (n: number): RevokedEntry => ({ name: revokedEntryName(tp(n)), thumbprint: tp(n) });

function desired(revoked: number[], notAfter: (n: number) => string): DesiredState {
  return {
    roots: [],
    revokedThumbprints: revoked.map(tp),
    expiredThumbprints: [],
    revocationInfo: Object.fromEntries(revoked.map((n) => [tp(n), { notAfter: notAfter(n) }])),
  };
}

describe("planRevocations over the gateway's room", () => {
  it("breaks equal expiries by thumbprint, names the left-off entries in thumbprint order, and drops a left-off entry that was on the gateway", () => {
    const count = MAX_REVOKED_CERTIFICATES + 3;
    const all = Array.from({ length: count }, (_, i) => i + 1);
    // Every entry expires at the same instant: only the thumbprint decides, the highest ones are left off.
    const onGateway = all.slice(-2).reverse().map(owned);
    const plan = planRevocations(
      onGateway,
      desired(all, () => "2030-01-01T00:00:00.000Z"),
      new Set(),
    );
    expect(plan.leftOff.map((l) => l.thumbprint)).toEqual([tp(count - 2), tp(count - 1), tp(count)]);
    expect(plan.leftOff.map((l) => l.wasOnGateway)).toEqual([false, true, true]);
    expect(plan.revoked).toHaveLength(MAX_REVOKED_CERTIFICATES);
    expect(plan.revoked.map((e) => e.thumbprint)).not.toContain(tp(count));
    expect(plan.revoked.map((e) => e.thumbprint)).not.toContain(tp(count - 1));
    expect(plan.addedRevocations).toHaveLength(MAX_REVOKED_CERTIFICATES);
  });

  it("names the left-off entries in thumbprint order, not in the order of their expiry, each with its expiry", () => {
    const count = MAX_REVOKED_CERTIFICATES + 3;
    const all = Array.from({ length: count }, (_, i) => i + 1);
    // 1, 2 and 3 expire soonest, 3 first: the ranking meets them as 2, 1, 3 (latest first).
    const expiry: Record<number, string> = {
      1: "2026-06-02T00:00:00.000Z",
      2: "2026-06-03T00:00:00.000Z",
      3: "2026-06-01T00:00:00.000Z",
    };
    const plan = planRevocations(
      [],
      desired(all, (n) => expiry[n] ?? "2031-01-01T00:00:00.000Z"),
      new Set(),
    );
    expect(plan.leftOff).toStrictEqual([
      { thumbprint: tp(1), notAfter: expiry[1], wasOnGateway: false },
      { thumbprint: tp(2), notAfter: expiry[2], wasOnGateway: false },
      { thumbprint: tp(3), notAfter: expiry[3], wasOnGateway: false },
    ]);
  });
});

describe("planRevocations with unknown expiries", () => {
  it("leaves off the highest thumbprints when no expiry is known, and names them without an expiry", () => {
    const count = MAX_REVOKED_CERTIFICATES + 2;
    const all = Array.from({ length: count }, (_, i) => i + 1);
    const plan = planRevocations(
      [],
      { roots: [], revokedThumbprints: all.map(tp), expiredThumbprints: [], revocationInfo: {} },
      new Set(),
    );
    expect(plan.leftOff).toStrictEqual([
      { thumbprint: tp(count - 1), wasOnGateway: false },
      { thumbprint: tp(count), wasOnGateway: false },
    ]);
  });
});

describe("rootThumbprints", () => {
  it("gives the SHA-1 of each root's certificate, and none for a root whose data is empty or unreadable", () => {
    const der = Buffer.from("a certificate's DER stands in here");
    const roots = [
      { name: "p2s-root-a", publicCertData: der.toString("base64") },
      { name: "p2s-root-empty", publicCertData: "" },
      { name: "p2s-root-unreadable", publicCertData: "!!!!" },
    ];
    expect([...rootThumbprints(roots)]).toEqual([thumbprintOf(der)]);
  });
});

describe("comparable", () => {
  it("reads a well-formed thumbprint as its normal form and an odd hand-made one upper-cased, as thumbprints compare", () => {
    expect(comparable(`aa:${"b".repeat(38)}`)).toBe(`AA${"B".repeat(38)}`);
    expect(comparable("not-a-thumbprint")).toBe("NOT-A-THUMBPRINT");
  });
});
