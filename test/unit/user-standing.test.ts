// Whether an offboarded user may get a certificate: decided on the times the requests took effect.
import { isOffboarded, issuanceRefusal, staleOffboarding } from "../../src/domain/user-standing";
import type { UserStanding } from "../../src/domain/user-standing";

const upn = "ada@contoso.com";
const at = (iso: string): Date => new Date(iso);
const offboarding = { userKey: upn, offboardedAt: at("2026-11-10T09:00:00Z"), requestId: "LEAVER-1", reason: "left" };

describe("isOffboarded", () => {
  it("is false with no offboarding, true with one and no rehire, and compares with the latest rehire", () => {
    expect(isOffboarded({})).toBe(false);
    expect(isOffboarded({ offboarding })).toBe(true);
    const hire = (iso: string) => ({ userKey: upn, hiredAt: at(iso), requestId: "INC1" });
    expect(isOffboarded({ offboarding, hire: hire("2026-11-20T09:00:00Z") })).toBe(false);
    expect(isOffboarded({ offboarding, hire: hire("2026-11-01T09:00:00Z") })).toBe(true);
    // A tie fails closed.
    expect(isOffboarded({ offboarding, hire: hire("2026-11-10T09:00:00Z") })).toBe(true);
  });
});

describe("issuanceRefusal", () => {
  const standing: UserStanding = { offboarding };

  it("lets a user who was never offboarded have a certificate", () => {
    expect(issuanceRefusal({}, upn, { rehire: false, effectiveAt: at("2026-11-11T00:00:00Z") })).toBeUndefined();
  });

  it("refuses an offboarded user without a rehire, naming the offboarding and the way out", () => {
    const refusal = issuanceRefusal(standing, upn, { rehire: false, effectiveAt: at("2026-12-01T00:00:00Z") });
    expect(refusal).toBe(
      'ada@contoso.com was offboarded at 2026-11-10T09:00:00.000Z (request LEAVER-1); a new certificate needs "rehire": true and the rehire\'s "effectiveAt"',
    );
  });

  it("takes a rehire effective after the offboarding and refuses one effective at or before it", () => {
    expect(issuanceRefusal(standing, upn, { rehire: true, effectiveAt: at("2026-11-10T09:00:01Z") })).toBeUndefined();
    expect(issuanceRefusal(standing, upn, { rehire: true, effectiveAt: at("2026-11-10T09:00:00Z") })).toContain(
      "a rehire must take effect after the offboarding",
    );
  });
});

describe("staleOffboarding", () => {
  it("refuses an offboarding effective before the latest rehire and takes one at or after it", () => {
    const standing: UserStanding = { hire: { userKey: upn, hiredAt: at("2026-11-20T09:00:00Z"), requestId: "INC2" } };
    expect(staleOffboarding(standing, upn, at("2026-11-19T00:00:00Z"))).toBe(
      "nothing was done: ada@contoso.com was rehired at 2026-11-20T09:00:00.000Z (request INC2), after this " +
        "offboarding's effectiveAt 2026-11-19T00:00:00.000Z; send a later effectiveAt, or none, to offboard them now",
    );
    expect(staleOffboarding(standing, upn, at("2026-11-20T09:00:00Z"))).toBeUndefined();
    expect(staleOffboarding({}, upn, at("2026-01-01T00:00:00Z"))).toBeUndefined();
  });
});
