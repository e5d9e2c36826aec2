// Shared pieces of bench:revoke: the figures each approach reports, the gateway write counters, and the burst.
import { randomBytes } from "node:crypto";
import type { ArmEmulator } from "../dev/emulators/arm";

export interface RunFigures {
  readonly revocations: number;
  /** Gateway PUTs carried out (their operation succeeded). */
  readonly writes: number;
  /** Gateway PUTs refused as AnotherOperationInProgress (a 409, or an operation that failed with it). */
  readonly refusals: number;
  /** From the first request to every revocation on the gateway (provisioning Succeeded). */
  readonly wallMs: number;
  /** From the first request until nothing is left running (sessions ended, writer asleep; scripts returned). */
  readonly settledMs: number;
  /** Of the run's revocations, how many the gateway holds at the end (fewer means lost updates). */
  readonly onGateway: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function randomThumbprint(): string {
  return randomBytes(20).toString("hex").toUpperCase();
}

/**
 * The gateway's writes: PUT operations that succeeded. Refusals: PUTs the busy gateway refused, in either of Azure's
 * forms (a synchronous 409, or an accepted PUT whose operation ends Failed AnotherOperationInProgress).
 */
export function armCounts(arm: ArmEmulator, gatewayId: string): { writes: number; refusals: number } {
  const puts = arm.controls.operations(gatewayId).filter((o) => o.name === "virtualNetworkGateways.put");
  const synchronous = arm.stats.operation("virtualNetworkGateways.put").byStatus["409"] ?? 0;
  return {
    writes: puts.filter((o) => o.status === "Succeeded").length,
    refusals: synchronous + puts.filter((o) => o.status === "Failed").length,
  };
}

/** Starts `run` for each item, spread evenly over `windowMs`, and waits for all of them. */
export async function burst<T>(
  items: readonly T[],
  windowMs: number,
  run: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const runs: Promise<void>[] = [];
  for (const [i, item] of items.entries()) {
    const due = started + (windowMs * i) / items.length;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    runs.push(run(item, i));
  }
  await Promise.all(runs);
}
