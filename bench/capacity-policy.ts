// The rotation policy as the product applies it, on the simulation's virtual clock: when a rotation starts (the
// revocation list at REVOCATION_CAPACITY_ALERT_PERCENT of its 300 entries with ROOT_ROTATION_AUTO on, or
// ROOT_ROTATION_BEFORE_EXPIRY_DAYS before the current root expires) and when the old root is retired (once every active
// user has collected the reissue, at once when the revocation list would reach ROOT_ROTATION_RETIRE_AT_PERCENT, or
// after ROOT_ROTATION_GRACE_DAYS), in the order the rotation orchestration checks them.
import type { RotationTrigger } from "../src/domain/root-rotation";

const DAY_MS = 86_400_000;

export interface RotationSettings {
  readonly auto: boolean;
  readonly thresholdPercent: number;
  readonly graceDays: number;
  readonly beforeExpiryDays: number;
  /** ROOT_ROTATION_RETIRE_AT_PERCENT; undefined: the grace-only policy (for comparison). */
  readonly retireAtPercent?: number;
}

/** Why a rotation starts now, or undefined. `listSize`: the revocations the gateway must hold (desired). */
export function rotationTrigger(
  settings: RotationSettings,
  listSize: number,
  capacity: number,
  rootNotAfter: Date,
  now: Date,
): Exclude<RotationTrigger, "manual"> | undefined {
  // As h-rotate's rotationDue: within beforeExpiryDays of the root's expiry; 0 turns the schedule off.
  const due =
    settings.beforeExpiryDays > 0 && rootNotAfter.getTime() - now.getTime() <= settings.beforeExpiryDays * DAY_MS;
  if (due) return "schedule";
  if (settings.auto && listSize * 100 >= settings.thresholdPercent * capacity) return "capacity";
  return undefined;
}

export type RetireReason = "collected" | "capacity" | "grace";

/**
 * Why the old root retires now, or undefined: `uncollected` users still to collect their reissue, `wouldBe` the
 * revocations the gateway's list would hold (the desired ones; the simulation has no hand-added entries).
 */
export function retireReason(
  settings: RotationSettings,
  startedAt: Date,
  now: Date,
  uncollected: number,
  wouldBe: number,
  capacity: number,
): RetireReason | undefined {
  if (uncollected === 0) return "collected";
  if (settings.retireAtPercent !== undefined && wouldBe * 100 >= settings.retireAtPercent * capacity) return "capacity";
  if (now.getTime() - startedAt.getTime() >= settings.graceDays * DAY_MS) return "grace";
  return undefined;
}

export interface CollectionModel {
  /** Share of users who collect within `soonDays`. */
  readonly soonShare: number;
  readonly soonDays: number;
  /** Share who collect between soonDays and lateDays; the rest never do. */
  readonly lateShare: number;
  readonly lateDays: number;
}

/** Most users collect within days, some within weeks, a few never. */
export const DEFAULT_COLLECTION: CollectionModel = { soonShare: 0.7, soonDays: 3, lateShare: 0.25, lateDays: 30 };

/** The delay (days) before a user collects a reissue, from one uniform draw `u` and another `v`; Infinity: never. */
export function collectionDelay(model: CollectionModel, u: number, v: number): number {
  if (u < model.soonShare) return v * model.soonDays;
  if (u < model.soonShare + model.lateShare) return model.soonDays + v * (model.lateDays - model.soonDays);
  return Number.POSITIVE_INFINITY;
}
