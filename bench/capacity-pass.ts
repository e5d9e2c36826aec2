// One writer pass of the simulation, read as the product's desired-state loader reads: the trusted
// roots' revocations (and the root-less ones) that are unexpired or expired within REVOCATION_PRUNE_LOOKBACK_DAYS past
// the margin, plus the retired roots' ones only to name their root; then the REAL planner (planSync) and the
// gateway's next state.
import { planSync } from "../src/domain/gateway-config";
import type { DesiredState, P2sCertificateState } from "../src/domain/gateway-config";
import { indexedWindow, pruneCutoff } from "../src/domain/revocation-window";
import type { RevokedEntryFacts } from "../src/domain/revocation-window";
import { UNKNOWN_ROOT_PARTITION } from "../src/clients/revocation-index";
import type { SimRoot } from "./capacity-roots";
import type { RevocationPort, WriterEntry } from "./capacity-port";

const DAY_MS = 86_400_000;

export interface PassResult {
  readonly next: P2sCertificateState;
  readonly changed: boolean;
  /** Revocations that must be on the gateway (the list's size with no limit). */
  readonly desiredCount: number;
  /** Thumbprints of the revocations the planner left off for want of room. */
  readonly leftOff: readonly string[];
  readonly rowsRead: number;
  readonly readMs: number;
}

export interface PassSettings {
  readonly pruneMarginHours: number;
  readonly pruneLookbackDays: number;
}

/**
 * The desired revocations from index entries: the product's own window (indexedWindow, as the loader computes it);
 * `trusted` entries are revoked or, past the margin, expired; `others` (retired roots) only give their root.
 */
export function desiredRevocations(
  trusted: readonly WriterEntry[],
  others: readonly WriterEntry[],
  now: Date,
  marginMs: number,
): Pick<DesiredState, "revokedThumbprints" | "expiredThumbprints" | "revocationInfo"> {
  const facts = (entries: readonly WriterEntry[]): RevokedEntryFacts[] =>
    entries.map((e) => ({ ...e, userKey: e.userKey ?? "" }));
  const { revokedThumbprints, expiredThumbprints, revocationInfo } = indexedWindow(
    facts(trusted),
    facts(others),
    now,
    marginMs,
  );
  return { revokedThumbprints, expiredThumbprints, revocationInfo };
}

export interface LoaderRead {
  readonly trusted: readonly WriterEntry[];
  readonly retired: readonly WriterEntry[];
  readonly rowsRead: number;
}

/** The loader's reads: trusted roots' partitions (and the root-less one) and, separately, the retired roots'. */
export async function readAsLoader(
  port: RevocationPort,
  trusted: readonly string[],
  retired: readonly string[],
  settings: PassSettings,
  now: Date,
): Promise<LoaderRead> {
  const marginMs = settings.pruneMarginHours * 3_600_000;
  const cutoff = new Date(pruneCutoff(now, marginMs).getTime() - settings.pruneLookbackDays * DAY_MS);
  const trustedRead = await port.readForWriter([...trusted, UNKNOWN_ROOT_PARTITION], cutoff);
  const retiredRead = retired.length === 0 ? { entries: [], rowsRead: 0 } : await port.readForWriter(retired, cutoff);
  return {
    trusted: trustedRead.entries,
    retired: retiredRead.entries,
    rowsRead: trustedRead.rowsRead + retiredRead.rowsRead,
  };
}

/** The revocations the gateway's list would hold now (the rotation's pressure check: the trusted roots' read only). */
export async function desiredRevocationCount(
  port: RevocationPort,
  roots: readonly SimRoot[],
  settings: PassSettings,
  now: Date,
): Promise<number> {
  const trusted = roots.filter((r) => r.state !== "retired" && r.state !== "withdrawn").map((r) => r.thumbprint);
  const read = await readAsLoader(port, trusted, [], settings, now);
  return desiredRevocations(read.trusted, [], now, settings.pruneMarginHours * 3_600_000).revokedThumbprints.length;
}

export async function writerPass(
  gateway: P2sCertificateState,
  port: RevocationPort,
  roots: readonly SimRoot[],
  settings: PassSettings,
  now: Date,
): Promise<PassResult> {
  const trusted = roots.filter((r) => r.state !== "retired" && r.state !== "withdrawn");
  const retired = roots.filter((r) => r.state === "retired" || r.state === "withdrawn");
  const started = performance.now();
  const read = await readAsLoader(
    port,
    trusted.map((r) => r.thumbprint),
    retired.map((r) => r.thumbprint),
    settings,
    now,
  );
  const readMs = performance.now() - started;
  const desired: DesiredState = {
    roots: trusted.map((r) => r.entry),
    retiredRootNames: retired.map((r) => r.name),
    ...desiredRevocations(read.trusted, read.retired, now, settings.pruneMarginHours * 3_600_000),
  };
  const plan = planSync(gateway, desired, now);
  return {
    next: plan.next,
    changed: plan.changed,
    desiredCount: desired.revokedThumbprints.length,
    leftOff: plan.leftOff.map((l) => l.thumbprint),
    rowsRead: read.rowsRead,
    readMs,
  };
}
