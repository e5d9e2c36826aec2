// The VPN group gate's decision: each refusal with its reason and message, and a pass only for an enabled member.
import { decideVpnGate } from "../../../src/domain/vpn-group-gate";

const GROUP = "5f2b1c3a-0000-4000-8000-00000000beef";
const enabled = { id: "user-1", accountEnabled: true };

describe("decideVpnGate", () => {
  it("refuses a user the directory does not have", () => {
    expect(decideVpnGate("nobody@contoso.com", GROUP, { user: undefined, memberOf: [GROUP] })).toEqual({
      allowed: false,
      refusal: "userNotFound",
      message: "nobody@contoso.com does not exist in the directory",
    });
  });

  it("refuses a disabled account, even a member's", () => {
    expect(
      decideVpnGate("dave@contoso.com", GROUP, { user: { id: "u", accountEnabled: false }, memberOf: [GROUP] }),
    ).toEqual({
      allowed: false,
      refusal: "accountDisabled",
      message: "dave@contoso.com's account is disabled in the directory",
    });
  });

  it("refuses an enabled user outside the group, and one whose membership was not read", () => {
    const refused = {
      allowed: false,
      refusal: "notInGroup",
      message: `mallory@contoso.com is not a member of the VPN group ${GROUP}`,
    };
    expect(decideVpnGate("mallory@contoso.com", GROUP, { user: enabled, memberOf: ["other-group"] })).toEqual(refused);
    expect(decideVpnGate("mallory@contoso.com", GROUP, { user: enabled })).toEqual(refused);
    expect(decideVpnGate("mallory@contoso.com", GROUP, { user: enabled, memberOf: [] })).toEqual(refused);
  });

  it("lets an enabled member through, whatever the case of the group id, naming the user", () => {
    expect(decideVpnGate("alice@contoso.com", GROUP, { user: enabled, memberOf: ["x", GROUP.toUpperCase()] })).toEqual({
      allowed: true,
      checked: true,
      userId: "user-1",
    });
    expect(decideVpnGate("alice@contoso.com", GROUP.toUpperCase(), { user: enabled, memberOf: [GROUP] })).toEqual({
      allowed: true,
      checked: true,
      userId: "user-1",
    });
  });
});
