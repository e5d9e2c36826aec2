// The simulated organisation of bench:capacity: its users, their certificates, and each day's events (leavers and the
// hires that replace them, some of them rehires; lost devices), drawn from the issue's rates with a seeded generator.
// Pure: no clock, no I/O; days are numbers from the start of the run.
import type { SeededRandom } from "./capacity-random";

export const DAYS_PER_YEAR = 365;
export const DAYS_PER_MONTH = DAYS_PER_YEAR / 12;

export interface OrgRates {
  readonly users: number;
  /** Share of the headcount that leaves in a year (each leaver is replaced by a hire). */
  readonly turnoverPerYear: number;
  /** Share of users who lose a device in a month. */
  readonly deviceLossPerMonth: number;
  /** Share of hires that are former users coming back. */
  readonly rehireShare: number;
}

/** The issue's figures: 15 % yearly turnover, 2 % of users losing a device each month; a tenth of hires rehires. */
export const ISSUE_RATES: Omit<OrgRates, "users"> = {
  turnoverPerYear: 0.15,
  deviceLossPerMonth: 0.02,
  rehireShare: 0.1,
};

export interface OrgDay {
  readonly leavers: readonly number[];
  /** One hire per leaver: a former user's id (rehire) or undefined (a new user). */
  readonly hires: readonly (number | undefined)[];
  readonly lostDevices: readonly number[];
}

/**
 * One day's events. Each active user leaves with probability turnover/365 and loses a device with probability
 * loss/month-length, so a year brings turnover × headcount leavers on average; a leaver does not also lose a device
 * that day. Rehires come from users who left on an earlier day.
 */
export function drawDay(
  random: SeededRandom,
  active: readonly number[],
  former: readonly number[],
  rates: OrgRates,
): OrgDay {
  const leaveP = rates.turnoverPerYear / DAYS_PER_YEAR;
  const lossP = rates.deviceLossPerMonth / DAYS_PER_MONTH;
  const leavers: number[] = [];
  const lostDevices: number[] = [];
  for (const id of active) {
    if (random.chance(leaveP)) leavers.push(id);
    else if (random.chance(lossP)) lostDevices.push(id);
  }
  const pool = [...former];
  const hires = leavers.map(() => {
    if (pool.length === 0 || !random.chance(rates.rehireShare)) return undefined;
    const [id] = pool.splice(random.int(pool.length), 1);
    return id;
  });
  return { leavers, hires, lostDevices };
}

/** A client certificate of the model: live until revoked or past notAfter. */
export interface SimCertificate {
  readonly thumbprint: string;
  readonly userId: number;
  readonly rootName: string;
  /** Fractional days from the start of the run. */
  readonly notBefore: number;
  readonly notAfter: number;
  renewed: boolean;
}

interface SimUser {
  readonly id: number;
  active: boolean;
  /** Live certificates: neither revoked nor past notAfter (a renewed one stays live until it expires). */
  certificates: SimCertificate[];
  /** Day a rotation's reissue is collected (Infinity: never); undefined outside a rotation. */
  collectsOn?: number;
}

export interface OrgPolicy {
  readonly validityDays: number;
  /** CLIENT_RENEWAL_DAYS: an active certificate is renewed this many days before it expires (the old one is kept). */
  readonly renewalDays: number;
}

/** What a day did to the certificates: those revoked (to write to the ledger) and how many were issued. */
export interface DayOutcome {
  readonly revoked: readonly SimCertificate[];
  readonly issued: number;
  readonly leavers: number;
  readonly hires: number;
  readonly rehires: number;
  readonly lostDevices: number;
  readonly renewals: number;
}

export class Organisation {
  private readonly users: SimUser[] = [];
  private readonly former: number[] = [];

  constructor(
    private readonly random: SeededRandom,
    private readonly rates: OrgRates,
    private readonly policy: OrgPolicy,
    rootName: string,
  ) {
    // At the start every user holds one certificate, issued at a uniform point of its renewal cycle.
    const cycle = policy.validityDays - policy.renewalDays;
    for (let i = 0; i < rates.users; i++) {
      const user = this.newUser();
      this.issue(user, -random.next() * cycle, rootName);
    }
  }

  activeIds(): number[] {
    return this.users.filter((u) => u.active).map((u) => u.id);
  }

  get activeCount(): number {
    return this.users.reduce((n, u) => n + (u.active ? 1 : 0), 0);
  }

  /** Draws and applies one day's events at `time` (fractional day); new certificates come from `rootName`. */
  live(time: number, rootName: string): DayOutcome {
    for (const user of this.users) {
      // Issued in order with one validity, so the first certificate is the first to expire.
      const first = user.certificates[0];
      if (first !== undefined && first.notAfter <= time) {
        user.certificates = user.certificates.filter((c) => c.notAfter > time);
      }
    }
    const day = drawDay(this.random, this.activeIds(), this.former, this.rates);
    const revoked: SimCertificate[] = [];
    let issued = 0;
    for (const id of day.leavers) {
      const user = this.user(id);
      revoked.push(...user.certificates);
      user.certificates = [];
      user.active = false;
      delete user.collectsOn;
    }
    for (const id of day.lostDevices) {
      // A lost-device reissue revokes every live certificate of the user at once, then issues a new one.
      const user = this.user(id);
      revoked.push(...user.certificates);
      user.certificates = [];
      this.issue(user, time, rootName);
      issued++;
    }
    for (const hire of day.hires) {
      const user = hire === undefined ? this.newUser() : this.user(hire);
      user.active = true;
      this.issue(user, time, rootName);
      issued++;
    }
    this.former.push(...day.leavers);
    const rehired = new Set(day.hires.filter((id): id is number => id !== undefined));
    this.former.splice(0, this.former.length, ...this.former.filter((id) => !rehired.has(id)));
    const renewals = this.renew(time, rootName);
    return {
      revoked,
      issued: issued + renewals,
      leavers: day.leavers.length,
      hires: day.hires.length,
      rehires: rehired.size,
      lostDevices: day.lostDevices.length,
      renewals,
    };
  }

  /**
   * A rotation's reissue: every active user gets a certificate of the new root (the old one is kept, as a renewal
   * keeps it) and collects it after `collectionDelay()` days (Infinity: never).
   */
  reissueAll(time: number, rootName: string, collectionDelay: () => number): number {
    let count = 0;
    for (const user of this.users) {
      if (!user.active) continue;
      for (const c of user.certificates) c.renewed = true;
      this.issue(user, time, rootName);
      user.collectsOn = time + collectionDelay();
      count++;
    }
    return count;
  }

  /** Active users who have not collected their reissued certificate by `time`. */
  uncollected(time: number): number {
    return this.users.filter((u) => u.active && u.collectsOn !== undefined && u.collectsOn > time).length;
  }

  /** The rotation ended: nobody is waiting for a reissue any more. */
  endCollection(): void {
    for (const user of this.users) delete user.collectsOn;
  }

  private renew(time: number, rootName: string): number {
    let count = 0;
    for (const user of this.users) {
      if (!user.active) continue;
      const newest = user.certificates[user.certificates.length - 1];
      if (newest === undefined || newest.renewed || newest.notAfter - time > this.policy.renewalDays) continue;
      newest.renewed = true;
      this.issue(user, time, rootName);
      count++;
    }
    return count;
  }

  private issue(user: SimUser, time: number, rootName: string): void {
    user.certificates.push({
      thumbprint: this.random.thumbprint(),
      userId: user.id,
      rootName,
      notBefore: time,
      notAfter: time + this.policy.validityDays,
      renewed: false,
    });
  }

  private newUser(): SimUser {
    const user: SimUser = { id: this.users.length, active: true, certificates: [] };
    this.users.push(user);
    return user;
  }

  private user(id: number): SimUser {
    const user = this.users[id];
    if (user === undefined) throw new Error(`no user ${String(id)}`);
    return user;
  }
}

export function upnOf(userId: number): string {
  return `user${String(userId).padStart(5, "0")}@contoso.com`;
}
