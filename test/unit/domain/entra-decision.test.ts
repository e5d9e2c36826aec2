// What a directory change means for one user's access, as a table: the directory's view, what the app last acted on,
// whether the ledger shows a live certificate.
import { decideEntra } from "../../../src/domain/entra-decision";
import type { EntraDirectoryView } from "../../../src/domain/entra-decision";

const member: EntraDirectoryView = { user: { upn: "erin@contoso.com", accountEnabled: true }, inGroup: true };
const outside: EntraDirectoryView = { user: { upn: "erin@contoso.com", accountEnabled: true }, inGroup: false };
const disabled: EntraDirectoryView = { user: { upn: "erin@contoso.com", accountEnabled: false }, inGroup: true };
const deleted: EntraDirectoryView = { inGroup: false };

describe("decideEntra", () => {
  it("onboards a new member and an entitled-again one, keyed by the next generation", () => {
    expect(decideEntra(member, undefined, false, false)).toEqual({
      kind: "onboard",
      generation: 1,
      reason: "added to the VPN group",
    });
    expect(decideEntra(member, { entitled: false, generation: 2 }, false, false)).toEqual({
      kind: "onboard",
      generation: 3,
      reason: "entitled again (re-enabled or added back)",
    });
  });

  it("remembers a member who already holds a certificate, and does nothing for one already entitled", () => {
    expect(decideEntra(member, undefined, true, false)).toEqual({
      kind: "remember",
      generation: 1,
      reason: "entitled and already holds a certificate",
    });
    expect(decideEntra(member, { entitled: true, generation: 1 }, false, false)).toEqual({
      kind: "ignore",
      reason: "already entitled: nothing changed",
    });
  });

  it("offboards a user it remembers entitled who leaves holding nothing, so that coming back onboards them again", () => {
    // Their certificate expired or was never issued: the offboarding still records that access ended.
    expect(decideEntra(outside, { entitled: true, generation: 1 }, false, false)).toEqual({
      kind: "offboard",
      generation: 2,
      reason: "not a member of the VPN group",
    });
    expect(decideEntra(member, { entitled: false, generation: 2 }, false, false)).toMatchObject({ kind: "onboard" });
  });

  it.each([
    ["removed from the group", outside, "not a member of the VPN group"],
    ["disabled", disabled, "the account is disabled"],
    ["deleted", deleted, "the user was deleted from the directory"],
  ])("offboards an entitled user %s", (_what, view, reason) => {
    expect(decideEntra(view, { entitled: true, generation: 1 }, true, false)).toEqual({
      kind: "offboard",
      generation: 2,
      reason,
    });
    // The ledger alone is enough (access given before the app remembered anything).
    expect(decideEntra(view, undefined, true, false)).toMatchObject({ kind: "offboard", generation: 1 });
  });

  it("ignores, with the reason, a user outside the group who holds nothing, and one offboarded already", () => {
    expect(decideEntra(outside, undefined, false, false)).toEqual({
      kind: "ignore",
      reason: "ignored: not a member of the VPN group and holds no VPN access",
    });
    expect(decideEntra(disabled, { entitled: false, generation: 2 }, false, false)).toEqual({
      kind: "ignore",
      reason: "already offboarded: the account is disabled",
    });
  });

  it("leaves a live certificate to the running offboarding, and offboards again once it has ended", () => {
    // While the offboarding runs, the certificates it has yet to revoke are its own.
    expect(decideEntra(disabled, { entitled: false, generation: 2 }, true, true)).toEqual({
      kind: "ignore",
      reason: "already offboarded: the account is disabled",
    });
    // After it, a live certificate came from another way in (a ticket, HR) and the directory still says out.
    expect(decideEntra(outside, { entitled: false, generation: 2 }, true, false)).toEqual({
      kind: "offboard",
      generation: 3,
      reason: "not a member of the VPN group; holds a certificate issued after the last offboarding",
    });
    // A member entitled again is onboarded whatever an old offboarding does.
    expect(decideEntra(member, { entitled: false, generation: 2 }, true, true)).toMatchObject({ kind: "remember" });
  });
});
