// Whether a user may get a new certificate: offboarded users may not, until a request says it is a rehire. Decided on
// the times upstream systems give (HR effective date, ticket creation), so a delayed event counts from when it took
// effect, not from when it reached us.
import type { HireRecord, OffboardingRecord } from "./ledger";

export interface UserStanding {
  readonly offboarding?: OffboardingRecord;
  readonly hire?: HireRecord;
}

/** Offboarded when the latest offboarding is at or after the latest (re)hire; a tie counts as offboarded. */
export function isOffboarded(standing: UserStanding): boolean {
  const { offboarding, hire } = standing;
  if (offboarding === undefined) return false;
  return hire === undefined || offboarding.offboardedAt.getTime() >= hire.hiredAt.getTime();
}

/** Why a certificate request must be refused, or undefined when it may go ahead. */
export function issuanceRefusal(
  standing: UserStanding,
  upn: string,
  request: { readonly rehire: boolean; readonly effectiveAt: Date },
): string | undefined {
  const { offboarding } = standing;
  if (offboarding === undefined || !isOffboarded(standing)) return undefined;
  const left = `${upn} was offboarded at ${offboarding.offboardedAt.toISOString()} (request ${offboarding.requestId})`;
  if (!request.rehire) {
    return `${left}; a new certificate needs "rehire": true and the rehire's "effectiveAt"`;
  }
  if (request.effectiveAt.getTime() <= offboarding.offboardedAt.getTime()) {
    return `${left}, not before the rehire's effectiveAt ${request.effectiveAt.toISOString()}; a rehire must take effect after the offboarding`;
  }
  return undefined;
}

/**
 * Why an offboarding must not run: it took effect before the user's latest rehire (a late or replayed event about an
 * earlier employment). Undefined when it applies.
 */
export function staleOffboarding(standing: UserStanding, upn: string, effectiveAt: Date): string | undefined {
  const { hire } = standing;
  if (hire === undefined || effectiveAt.getTime() >= hire.hiredAt.getTime()) return undefined;
  return (
    `nothing was done: ${upn} was rehired at ${hire.hiredAt.toISOString()} (request ${hire.requestId}), after this ` +
    `offboarding's effectiveAt ${effectiveAt.toISOString()}; send a later effectiveAt, or none, to offboard them now`
  );
}
