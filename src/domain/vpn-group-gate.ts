// The VPN group gate's decision (pure): a user gets a certificate only if the directory has the user, the account is
// enabled and the user is a member of the VPN group, directly or through nested groups.

/** Why the gate refused: each is terminal for the request (only a change in the directory can lift it). */
export type VpnGateRefusal = "userNotFound" | "accountDisabled" | "notInGroup";

export type VpnGateDecision =
  | { readonly allowed: true; readonly checked: false }
  | { readonly allowed: true; readonly checked: true; readonly userId: string }
  | { readonly allowed: false; readonly refusal: VpnGateRefusal; readonly message: string };

/** What the directory said about the user; `memberOf` only when the user exists and is enabled. */
export interface DirectoryFacts {
  readonly user: { readonly id: string; readonly accountEnabled: boolean } | undefined;
  readonly memberOf?: readonly string[];
}

export function decideVpnGate(upn: string, groupId: string, facts: DirectoryFacts): VpnGateDecision {
  if (facts.user === undefined) {
    return { allowed: false, refusal: "userNotFound", message: `${upn} does not exist in the directory` };
  }
  if (!facts.user.accountEnabled) {
    return { allowed: false, refusal: "accountDisabled", message: `${upn}'s account is disabled in the directory` };
  }
  const member = (facts.memberOf ?? []).some((id) => id.toLowerCase() === groupId.toLowerCase());
  if (!member) {
    return { allowed: false, refusal: "notInGroup", message: `${upn} is not a member of the VPN group ${groupId}` };
  }
  return { allowed: true, checked: true, userId: facts.user.id };
}
