// What a directory change means for one user's VPN access: the directory entitles an enabled member of the VPN group
// (directly or through nested groups); everyone else is not entitled. Access is started or removed only when that
// differs from what the app last acted on (or from what the ledger shows the user holds), so a replayed notification
// or delta page does nothing twice. Each change of decision bumps a generation that keys its lifecycle request.

export interface EntraDirectoryView {
  /** The user as Graph has it now; undefined when Graph has no such user (deleted). */
  readonly user?: { readonly upn: string; readonly accountEnabled: boolean };
  /** Transitive member of ENTRA_VPN_GROUP_ID (meaningless without a user). */
  readonly inGroup: boolean;
}

export interface EntraRemembered {
  readonly entitled: boolean;
  readonly generation: number;
}

export type EntraDecision =
  | { readonly kind: "onboard" | "offboard"; readonly generation: number; readonly reason: string }
  /** Nothing to start, but remember the user as entitled (they hold a certificate already). */
  | { readonly kind: "remember"; readonly generation: number; readonly reason: string }
  | { readonly kind: "ignore"; readonly reason: string };

export function notEntitledReason(view: EntraDirectoryView): string | undefined {
  if (view.user === undefined) return "the user was deleted from the directory";
  if (!view.user.accountEnabled) return "the account is disabled";
  if (!view.inGroup) return "not a member of the VPN group";
  return undefined;
}

/**
 * `offboardingRunning`: whether the offboarding the app last started for this user (remembered as not entitled) is
 * still running; only asked when it matters (not entitled, remembered offboarded, holding a live certificate).
 */
export function decideEntra(
  view: EntraDirectoryView,
  remembered: EntraRemembered | undefined,
  holdsCertificate: boolean,
  offboardingRunning: boolean,
): EntraDecision {
  const generation = (remembered?.generation ?? 0) + 1;
  const refusal = notEntitledReason(view);
  if (refusal === undefined) {
    if (remembered?.entitled === true) return { kind: "ignore", reason: "already entitled: nothing changed" };
    if (holdsCertificate) return { kind: "remember", generation, reason: "entitled and already holds a certificate" };
    return {
      kind: "onboard",
      generation,
      reason: remembered === undefined ? "added to the VPN group" : "entitled again (re-enabled or added back)",
    };
  }
  if (remembered?.entitled === false) {
    // Offboarded already: certificates still live are that offboarding's to revoke while it runs. Once it has ended,
    // a live certificate came after it (another way in, a ticket or HR, onboarded the user again): offboard again.
    if (!holdsCertificate || offboardingRunning) return { kind: "ignore", reason: `already offboarded: ${refusal}` };
    return {
      kind: "offboard",
      generation,
      reason: `${refusal}; holds a certificate issued after the last offboarding`,
    };
  }
  if (remembered?.entitled === true || holdsCertificate) return { kind: "offboard", generation, reason: refusal };
  return { kind: "ignore", reason: `ignored: ${refusal} and holds no VPN access` };
}
