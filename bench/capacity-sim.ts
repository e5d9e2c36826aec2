// bench:capacity's simulation: the organisation lives day by day on a virtual clock; each day's revocations go to the
// ledger, then one writer pass reads them back and plans the gateway through the real planner; the rotation policy
// starts and ends root rotations. Figures: the list's peak, the revocations ever left off and their exposure.
import { MAX_REVOKED_CERTIFICATES } from "../src/domain/gateway-config";
import type { P2sCertificateState } from "../src/domain/gateway-config";
import type { CertificateRecord } from "../src/domain/ledger";
import { Organisation, upnOf } from "./capacity-org";
import type { OrgPolicy, OrgRates, SimCertificate } from "./capacity-org";
import { desiredRevocationCount, writerPass } from "./capacity-pass";
import { collectionDelay, retireReason, rotationTrigger } from "./capacity-policy";
import type { CollectionModel, RotationSettings } from "./capacity-policy";
import type { RevocationPort } from "./capacity-port";
import { SeededRandom } from "./capacity-random";
import { makeRoot } from "./capacity-roots";
import type { SimRoot } from "./capacity-roots";

const DAY_MS = 86_400_000;
/** Day 0 of every run. */
export const SIM_START = new Date("2027-01-04T00:00:00Z");
/** Events happen in the morning, the day's writer pass runs in the evening. */
const EVENTS_AT = 0.375;
const PASS_AT = 0.75;
export const ROOT_BASE_NAME = "p2s-root";

export interface SimSettings {
  readonly seed: number;
  readonly years: number;
  readonly rates: OrgRates;
  readonly policy: OrgPolicy;
  readonly pruneMarginHours: number;
  readonly pruneLookbackDays: number;
  readonly rootValidityYears: number;
  readonly rotation: RotationSettings;
  readonly collection: CollectionModel;
}

export interface SimFigures {
  readonly days: number;
  readonly peakList: number;
  readonly peakDesired: number;
  readonly leftOffEver: number;
  /** Sum over days of the revocations left off that day (each one a user who could still connect). */
  readonly exposureUserDays: number;
  readonly daysWithLeftOff: number;
  readonly rotations: { readonly capacity: number; readonly schedule: number };
  readonly rotationDays: readonly number[];
  /** Old roots retired, by why: all collected, the revocation list at the mark, the grace period over. */
  readonly retirements: { readonly collected: number; readonly capacity: number; readonly grace: number };
  /** Active users who had not collected their reissue when the old root retired (they cannot connect until they do). */
  readonly cutOff: number;
  /** Of those, the ones cut off by a retirement at the mark (before the grace period's end). */
  readonly cutOffEarly: number;
  readonly gatewayWrites: number;
  readonly revocations: number;
  readonly leavers: number;
  readonly hires: number;
  readonly rehires: number;
  readonly lostDevices: number;
  readonly renewals: number;
  readonly reissues: number;
  readonly rowsRead: number;
  readonly maxRowsRead: number;
  readonly readMs: number;
  readonly endHeadcount: number;
}

export const dateOf = (time: number): Date => new Date(SIM_START.getTime() + time * DAY_MS);

function ledgerRecord(c: SimCertificate, root: SimRoot, at: Date): CertificateRecord {
  return {
    userKey: upnOf(c.userId),
    upn: upnOf(c.userId),
    certificateName: `sim-${c.thumbprint.slice(0, 24).toLowerCase()}`,
    status: "revoked",
    requestId: `sim-${c.thumbprint.slice(0, 24).toLowerCase()}`,
    source: "api",
    sourceId: "bench:capacity",
    thumbprint: c.thumbprint,
    rootThumbprint: root.thumbprint,
    notBefore: dateOf(c.notBefore),
    notAfter: dateOf(c.notAfter),
    revokedAt: at,
    revocationReason: "bench",
    updatedAt: at,
  };
}

export async function simulate(
  settings: SimSettings,
  port: RevocationPort,
  progress: (line: string) => void = () => undefined,
): Promise<SimFigures> {
  const random = new SeededRandom(settings.seed);
  const roots: SimRoot[] = [await makeRoot(ROOT_BASE_NAME, dateOf(-30), settings.rootValidityYears, 0)];
  const rootByName = new Map(roots.map((r) => [r.name, r]));
  const current = (): SimRoot => {
    const root = roots.find((r) => r.state === "current");
    if (root === undefined) throw new Error("no current root");
    return root;
  };
  const org = new Organisation(random, settings.rates, settings.policy, current().name);
  let gateway: P2sCertificateState = { roots: [current().entry], revoked: [] };
  const leftOffEver = new Set<string>();
  let pendingStart: "capacity" | "schedule" | undefined;
  let rotation: { old: SimRoot; startedAt: Date } | undefined;
  const f = {
    peakList: 0,
    peakDesired: 0,
    exposureUserDays: 0,
    daysWithLeftOff: 0,
    gatewayWrites: 0,
    revocations: 0,
    leavers: 0,
    hires: 0,
    rehires: 0,
    lostDevices: 0,
    renewals: 0,
    reissues: 0,
    rowsRead: 0,
    maxRowsRead: 0,
    readMs: 0,
    cutOff: 0,
    cutOffEarly: 0,
  };
  const retirements = { collected: 0, capacity: 0, grace: 0 };
  const rotations = { capacity: 0, schedule: 0 };
  const rotationDays: number[] = [];
  const days = Math.round(settings.years * 365);

  for (let day = 0; day < days; day++) {
    const t = day + EVENTS_AT;
    if (pendingStart !== undefined) {
      // A rotation: the new root is created and promoted (the old one now retiring), every active user reissued.
      const old = current();
      const next = await makeRoot(
        `${ROOT_BASE_NAME}-g${String(roots.length + 1)}`,
        dateOf(t),
        settings.rootValidityYears,
        roots.length,
      );
      old.state = "retiring";
      roots.push(next);
      rootByName.set(next.name, next);
      f.reissues += org.reissueAll(t, next.name, () =>
        collectionDelay(settings.collection, random.next(), random.next()),
      );
      rotation = { old, startedAt: dateOf(t) };
      rotations[pendingStart]++;
      rotationDays.push(day);
      pendingStart = undefined;
    }
    const outcome = org.live(t, current().name);
    const at = dateOf(t);
    const records = outcome.revoked.map((c) => {
      const root = rootByName.get(c.rootName);
      if (root === undefined) throw new Error(`unknown root ${c.rootName}`);
      return ledgerRecord(c, root, at);
    });
    await port.revoke(records);
    f.revocations += records.length;
    f.leavers += outcome.leavers;
    f.hires += outcome.hires;
    f.rehires += outcome.rehires;
    f.lostDevices += outcome.lostDevices;
    f.renewals += outcome.renewals;
    if (rotation !== undefined) {
      // As the orchestration: every check counts the collections and, while some are missing, the list's pressure.
      const uncollected = org.uncollected(t);
      const wouldBe =
        uncollected > 0 && settings.rotation.retireAtPercent !== undefined
          ? await desiredRevocationCount(port, roots, settings, at)
          : 0;
      const why = retireReason(
        settings.rotation,
        rotation.startedAt,
        at,
        uncollected,
        wouldBe,
        MAX_REVOKED_CERTIFICATES,
      );
      if (why !== undefined) {
        retirements[why]++;
        f.cutOff += uncollected;
        if (why === "capacity") f.cutOffEarly += uncollected;
        rotation.old.state = "retired";
        org.endCollection();
        rotation = undefined;
      }
    }

    const now = dateOf(day + PASS_AT);
    const pass = await writerPass(gateway, port, roots, settings, now);
    f.readMs += pass.readMs;
    f.rowsRead += pass.rowsRead;
    f.maxRowsRead = Math.max(f.maxRowsRead, pass.rowsRead);
    gateway = pass.next;
    if (pass.changed) f.gatewayWrites++;
    f.peakList = Math.max(f.peakList, gateway.revoked.length);
    f.peakDesired = Math.max(f.peakDesired, pass.desiredCount);
    for (const t of pass.leftOff) leftOffEver.add(t);
    f.exposureUserDays += pass.leftOff.length;
    if (pass.leftOff.length > 0) f.daysWithLeftOff++;
    if (rotation === undefined) {
      pendingStart = rotationTrigger(
        settings.rotation,
        pass.desiredCount,
        MAX_REVOKED_CERTIFICATES,
        current().notAfter,
        now,
      );
    }
    if (day % 90 === 89) {
      progress(
        `day ${String(day + 1)}: list ${String(gateway.revoked.length)}, wanted ${String(pass.desiredCount)}, left off so far ${String(leftOffEver.size)}, rotations ${String(rotationDays.length)}`,
      );
    }
  }
  return {
    days,
    ...f,
    leftOffEver: leftOffEver.size,
    rotations,
    rotationDays,
    retirements,
    endHeadcount: org.activeCount,
  };
}
