// One writer pass of the simulation: the desired state from what the ledger read gave, the REAL planner (planSync),
// and the gateway's next state. Revocations the planner could not fit are "left off".
import { GatewayCapacityError, isAppOwnedRevocation, planSync } from "../src/domain/gateway-config";
import type { DesiredState, P2sCertificateState, RevocationInfo } from "../src/domain/gateway-config";
import type { SimRoot } from "./capacity-roots";
import type { WriterEntry } from "./capacity-port";

export interface PassResult {
  readonly next: P2sCertificateState;
  readonly changed: boolean;
  /** Revocations that must be on the gateway (the list's size with no limit). */
  readonly desiredCount: number;
  /** Thumbprints that should be on the gateway and are not. */
  readonly leftOff: readonly string[];
}

/** What the simulation knows of every revocation it made (the ledger's facts), to name expired and retired entries. */
export type KnownRevocations = ReadonlyMap<string, { readonly rootThumbprint: string; readonly notAfter: Date }>;

export function writerPass(
  gateway: P2sCertificateState,
  entries: readonly WriterEntry[],
  roots: readonly SimRoot[],
  known: KnownRevocations,
  cutoff: Date,
  now: Date,
): PassResult {
  const trusted = roots.filter((r) => r.state !== "retired" && r.state !== "withdrawn");
  const revocationInfo: Record<string, RevocationInfo> = {};
  const wanted: string[] = [];
  for (const e of entries) {
    wanted.push(e.thumbprint);
    revocationInfo[e.thumbprint] = {
      ...(e.rootThumbprint === undefined ? {} : { rootThumbprint: e.rootThumbprint }),
      ...(e.notAfter === undefined ? {} : { notAfter: e.notAfter.toISOString() }),
    };
  }
  // The gateway's app-owned entries that the read did not return: expired ones are pruned, those of a retired root
  // are named with their root so the planner drops them.
  const expiredThumbprints: string[] = [];
  for (const r of gateway.revoked) {
    if (!isAppOwnedRevocation(r) || revocationInfo[r.thumbprint] !== undefined) continue;
    const fact = known.get(r.thumbprint);
    if (fact === undefined) continue;
    if (fact.notAfter.getTime() <= cutoff.getTime()) expiredThumbprints.push(r.thumbprint);
    revocationInfo[r.thumbprint] = { rootThumbprint: fact.rootThumbprint, notAfter: fact.notAfter.toISOString() };
  }
  const desired: DesiredState = {
    roots: trusted.map((r) => r.entry),
    revokedThumbprints: wanted,
    expiredThumbprints,
    retiredRootNames: roots.filter((r) => r.state === "retired" || r.state === "withdrawn").map((r) => r.name),
    revocationInfo,
  };
  try {
    const plan = planSync(gateway, desired, now);
    const onGateway = new Set(plan.next.revoked.map((r) => r.thumbprint));
    return {
      next: plan.next,
      changed: plan.changed,
      desiredCount: wanted.length,
      leftOff: wanted.filter((t) => !onGateway.has(t)),
    };
  } catch (error) {
    // The planner before issue 14: over capacity it refuses, and the writer writes nothing at all.
    if (!(error instanceof GatewayCapacityError)) throw error;
    const onGateway = new Set(gateway.revoked.map((r) => r.thumbprint));
    return {
      next: gateway,
      changed: false,
      desiredCount: wanted.length,
      leftOff: wanted.filter((t) => !onGateway.has(t)),
    };
  }
}
