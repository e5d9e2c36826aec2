// The revocation list's capacity (300 entries a gateway) and when it will be full at the current rate, from the
// ledger's revocation times. Pure.

const DAY_MS = 86_400_000;

/** Days the rate is measured over. */
export const FORECAST_WINDOW_DAYS = 30;

export interface CapacityForecast {
  readonly used: number;
  readonly capacity: number;
  readonly percent: number;
  /** Revocations a day over the window. */
  readonly ratePerDay: number;
  /** Whole days until the list is full at that rate; null when nothing was revoked in the window. */
  readonly daysUntilFull: number | null;
}

/**
 * Gross rate: every revocation in the window counts, entries pruned after expiry do not give room back, so the
 * forecast errs early (the harsher reading, for an alert).
 */
export function capacityForecast(
  used: number,
  capacity: number,
  revokedAts: readonly Date[],
  now: Date,
  windowDays: number = FORECAST_WINDOW_DAYS,
): CapacityForecast {
  const since = now.getTime() - windowDays * DAY_MS;
  const recent = revokedAts.filter((at) => at.getTime() > since && at.getTime() <= now.getTime()).length;
  const ratePerDay = recent / windowDays;
  const left = Math.max(0, capacity - used);
  return {
    used,
    capacity,
    percent: Math.floor((used * 100) / capacity),
    ratePerDay: Math.round(ratePerDay * 100) / 100,
    daysUntilFull: ratePerDay === 0 ? null : Math.floor(left / ratePerDay),
  };
}

/** "6 days at 4.5 revocations a day (last 30 days)" or why there is no figure. */
export function describeForecast(forecast: CapacityForecast, windowDays: number = FORECAST_WINDOW_DAYS): string {
  if (forecast.daysUntilFull === null) return `no revocations in the last ${windowDays} days, so no forecast`;
  return `full in about ${forecast.daysUntilFull} days at ${forecast.ratePerDay} revocations a day (last ${windowDays} days)`;
}
