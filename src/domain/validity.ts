// Certificate validity windows. notBefore is backdated so that a client whose clock runs a little behind still
// accepts a certificate issued "now"; times are cut to whole seconds because X.509 time has no fractions.
export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export const DEFAULT_CLOCK_SKEW_MINUTES = 5;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface ValidityOptions {
  /** How far to backdate notBefore; defaults to DEFAULT_CLOCK_SKEW_MINUTES. */
  readonly clockSkewMinutes?: number;
}

/** A client certificate window: notBefore = now - skew, notAfter = notBefore + days. */
export function clientValidity(now: Date, days: number, options: ValidityOptions = {}): Validity {
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new Error(`client validity days must be 1-3650, got ${days}`);
  const notBefore = backdated(now, options);
  return checkValidity({ notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) });
}

/** A root window: notBefore = now - skew, notAfter = the same instant `years` calendar years later (UTC). */
export function rootValidity(now: Date, years: number, options: ValidityOptions = {}): Validity {
  if (!Number.isInteger(years) || years < 1 || years > 30)
    throw new Error(`root validity years must be 1-30, got ${years}`);
  const notBefore = backdated(now, options);
  const notAfter = new Date(notBefore.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  return checkValidity({ notBefore, notAfter });
}

/** Throws unless both dates are real, whole seconds, and notAfter is after notBefore. */
export function checkValidity(validity: Validity): Validity {
  const { notBefore, notAfter } = validity;
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime()))
    throw new Error("validity has an invalid date");
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new Error(`validity ends (${notAfter.toISOString()}) before it starts (${notBefore.toISOString()})`);
  }
  if (notBefore.getTime() % 1000 !== 0 || notAfter.getTime() % 1000 !== 0) {
    throw new Error("validity dates must be whole seconds (X.509 time has no fractions)");
  }
  return validity;
}

function backdated(now: Date, options: ValidityOptions): Date {
  const skew = options.clockSkewMinutes ?? DEFAULT_CLOCK_SKEW_MINUTES;
  if (!Number.isFinite(skew) || skew < 0 || skew > 24 * 60)
    throw new Error(`clock skew must be 0-1440 minutes, got ${skew}`);
  if (Number.isNaN(now.getTime())) throw new Error("now is an invalid date");
  const ms = now.getTime() - skew * MINUTE_MS;
  return new Date(ms - (((ms % 1000) + 1000) % 1000));
}
