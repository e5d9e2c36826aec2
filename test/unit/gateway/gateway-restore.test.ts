// Entries lost to a concurrent write: what the writer keeps track of, finds missing, and puts back.
import type { DesiredState, P2sCertificateState } from "../../../src/domain/gateway-config";
import { revokedEntryName } from "../../../src/domain/gateway-config";
import {
  NOTHING,
  describeEntries,
  entriesToKeep,
  isEmpty,
  lostEntries,
  mergeEntries,
  withRestored,
} from "../../../src/domain/gateway-restore";

const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const app = (n: number): { name: string; thumbprint: string } => ({ name: revokedEntryName(tp(n)), thumbprint: tp(n) });
const root = { name: "p2s-root", publicCertData: "MIIB" };
const handRoot = { name: "partner-root", publicCertData: "MIIC" };
const desired: DesiredState = { roots: [root], revokedThumbprints: [tp(1)], expiredThumbprints: [] };

describe("entries lost to a concurrent write", () => {
  const written: P2sCertificateState = {
    roots: [root, handRoot],
    revoked: [app(1), { name: "by-hand", thumbprint: tp(2).toLowerCase() }],
  };

  it("keeps track of what the ledger would not give back: hand-added revocations and unmanaged roots", () => {
    expect(entriesToKeep(written, desired)).toEqual({
      roots: [handRoot],
      revoked: [{ name: "by-hand", thumbprint: tp(2).toLowerCase() }],
    });
  });

  it("finds the kept entries a later read no longer shows, comparing thumbprints in any case", () => {
    const kept = entriesToKeep(written, desired);
    expect(isEmpty(lostEntries(kept, { roots: [handRoot], revoked: [{ name: "x", thumbprint: tp(2) }] }))).toBe(true);
    expect(lostEntries(kept, { roots: [root], revoked: [] })).toEqual(kept);
  });

  it("puts back only what is missing, naming it, and merges what is still to be put back", () => {
    const restore = entriesToKeep(written, desired);
    const { state, restored } = withRestored({ roots: [root], revoked: [app(1)] }, restore);
    expect(state.roots).toEqual([root, handRoot]);
    expect(state.revoked).toEqual([app(1), { name: "by-hand", thumbprint: tp(2).toLowerCase() }]);
    expect(restored).toEqual(["root partner-root", `revoked by-hand (${tp(2).toLowerCase()})`]);
    expect(withRestored(state, restore).restored).toEqual([]);
    expect(mergeEntries(restore, restore)).toEqual(restore);
    expect(mergeEntries(NOTHING, restore)).toEqual(restore);
    expect(describeEntries(restore)).toBe(`root partner-root, revoked by-hand (${tp(2).toLowerCase()})`);
  });

  it("is empty only with neither roots nor revocations (or no state at all)", () => {
    expect(isEmpty(undefined)).toBe(true);
    expect(isEmpty(NOTHING)).toBe(true);
    expect(isEmpty({ roots: [handRoot], revoked: [] })).toBe(false);
    expect(isEmpty({ roots: [], revoked: [app(3)] })).toBe(false);
  });

  it("compares a hand-made entry whose thumbprint is not valid hex in any case", () => {
    const odd = { name: "odd", thumbprint: "not-a-thumbprint" };
    const kept: P2sCertificateState = { roots: [], revoked: [odd] };
    expect(lostEntries(kept, { roots: [], revoked: [{ name: "odd", thumbprint: "NOT-A-THUMBPRINT" }] })).toEqual(
      NOTHING,
    );
    expect(lostEntries(kept, { roots: [], revoked: [{ name: "odd", thumbprint: "not-a-thumbprint-2" }] })).toEqual(
      kept,
    );
  });
});
