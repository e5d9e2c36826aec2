// Expiry decisions, pure: which threshold an object has crossed (the tightest one), the alert that says so (its key
// makes it once per object and threshold), which ledger entries have expired, which certificates to renew.
import type { CertificateRecord } from "./ledger";

const DAY_MS = 86_400_000;

export type ExpiringKind = "gateway-root" | "ca-root" | "client-certificate";

/** Something that expires: a root on a gateway, the CA root in Key Vault, a client certificate in the ledger. */
export interface ExpiringObject {
  readonly kind: ExpiringKind;
  /** Stable id of the object: gateway id + root name, the CA root's name, the user + certificate name. */
  readonly objectId: string;
  /** What an operator reads: "root P2SRoot on vgw-hub", "certificate of alice@contoso.com". */
  readonly label: string;
  /** Uppercase SHA-1 hex: a replaced root (same name, new certificate) starts its thresholds afresh. */
  readonly thumbprint: string;
  /** ISO 8601. */
  readonly notAfter: string;
}

export interface ExpiryAlert {
  readonly key: string;
  readonly severity: "warning" | "error" | "critical";
  readonly title: string;
  readonly detail: string;
  readonly subject: string;
  readonly kind: "expiry";
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

/** Whole days left, rounded down (negative once expired). */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

/**
 * The tightest threshold crossed: the smallest threshold at or above the time left (20 days left, thresholds
 * 1/7/14/30/90: 30). "expired" once notAfter has passed; undefined while no threshold is crossed.
 */
export function crossedThreshold(
  notAfter: Date,
  now: Date,
  thresholds: readonly number[],
): number | "expired" | undefined {
  const leftMs = notAfter.getTime() - now.getTime();
  if (leftMs <= 0) return "expired";
  let tightest: number | undefined;
  for (const t of thresholds) {
    if (leftMs <= t * DAY_MS && (tightest === undefined || t < tightest)) tightest = t;
  }
  return tightest;
}

/** The alert for an object at its crossed threshold, or undefined when none is crossed. */
export function expiryAlert(object: ExpiringObject, now: Date, thresholds: readonly number[]): ExpiryAlert | undefined {
  const notAfter = new Date(object.notAfter);
  const crossed = crossedThreshold(notAfter, now, thresholds);
  if (crossed === undefined) return undefined;
  const left = daysLeft(notAfter, now);
  const severity = crossed === "expired" ? "critical" : crossed < 14 ? "error" : "warning";
  const when = crossed === "expired" ? `expired on ${object.notAfter}` : `expires on ${object.notAfter} (${left} days)`;
  return {
    key: `expiry:${object.kind}:${object.objectId}:${object.thumbprint}:${String(crossed)}`,
    severity,
    title: `${capitalise(object.label)} ${crossed === "expired" ? "has expired" : `expires within ${crossed} days`}`,
    detail: `${object.label} (thumbprint ${object.thumbprint}) ${when}.${advice(object.kind)}`,
    subject: object.objectId,
    kind: "expiry",
    details: {
      objectKind: object.kind,
      objectId: object.objectId,
      thumbprint: object.thumbprint,
      notAfter: object.notAfter,
      threshold: String(crossed),
      daysLeft: left,
    },
  };
}

function advice(kind: ExpiringKind): string {
  if (kind === "client-certificate") return " It is renewed automatically unless its user is disabled or offboarded.";
  if (kind === "ca-root") return " Every client certificate it signed stops working with it: plan the root rollover.";
  return " Users whose certificates chain to it cannot connect once it expires; the gateway writer leaves it out then.";
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Ledger entries whose certificate has expired but whose status still says active or superseded. */
export function certificatesToExpire(records: readonly CertificateRecord[], now: Date): CertificateRecord[] {
  return records.filter(
    (r) =>
      (r.status === "active" || r.status === "superseded") &&
      r.notAfter !== undefined &&
      r.notAfter.getTime() <= now.getTime(),
  );
}

/**
 * Active certificates to renew: inside the renewal window, not expired, issued through Key Vault (a device-key
 * certificate's key is on the device: the app cannot reissue on it), and not already outlived by a later active or
 * issuing certificate of the same user (renewed before, or reissued by hand).
 */
export function renewalCandidates(
  live: readonly CertificateRecord[],
  now: Date,
  renewalDays: number,
): CertificateRecord[] {
  const latestByUser = latestEndByUser(live);
  return live.filter((r) => {
    if (r.status !== "active" || r.notAfter === undefined || r.thumbprint === undefined) return false;
    if (r.certificatePem !== undefined || r.source === "self-service") return false;
    const left = r.notAfter.getTime() - now.getTime();
    if (left <= 0 || left > renewalDays * DAY_MS) return false;
    return (latestByUser.get(r.userKey) ?? 0) <= r.notAfter.getTime();
  });
}

/**
 * The client certificates worth an alert: active ones whose user holds no later certificate (a renewed one is left
 * to expire quietly), at thresholds up to the client warning horizon.
 */
export function clientThresholds(thresholds: readonly number[], warningDays: number): number[] {
  return thresholds.filter((t) => t <= warningDays);
}

export function expiringClients(live: readonly CertificateRecord[]): ExpiringObject[] {
  const latestByUser = latestEndByUser(live);
  const objects: ExpiringObject[] = [];
  for (const r of live) {
    if (r.status !== "active" || r.notAfter === undefined || r.thumbprint === undefined) continue;
    if ((latestByUser.get(r.userKey) ?? 0) > r.notAfter.getTime()) continue;
    objects.push({
      kind: "client-certificate",
      objectId: `${r.userKey}/${r.certificateName}`,
      label: `the certificate of ${r.upn}`,
      thumbprint: r.thumbprint,
      notAfter: r.notAfter.toISOString(),
    });
  }
  return objects;
}

/** Each user's latest notAfter among active and issuing certificates (an issuance in flight outlives any). */
function latestEndByUser(live: readonly CertificateRecord[]): Map<string, number> {
  const latest = new Map<string, number>();
  for (const r of live) {
    if (r.status !== "active" && r.status !== "issuing") continue;
    const end = r.notAfter?.getTime() ?? Number.POSITIVE_INFINITY;
    latest.set(r.userKey, Math.max(latest.get(r.userKey) ?? 0, end));
  }
  return latest;
}
