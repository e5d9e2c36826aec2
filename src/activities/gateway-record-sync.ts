// Activity: records the outcome of a writer pass for GET /api/v1/gateways, and hands the writer what the writes
// journaled since its last record did that calls for a warning: its own, and any a re-delivered execution sent without
// the writer seeing its result (each write was audited by the execution that sent it, gateway-write-audit).
import { defineActivity } from "./define";
import { services } from "./services";
import type { ExpiredRoot } from "../domain/expired-roots";

export interface RecordSyncInput {
  readonly gatewayId: string;
  readonly passId: string;
  readonly outcome: string;
  readonly detail: string;
  readonly revokedCount: number;
  readonly rootCount: number;
}

/** What the journaled writes did that the writer warns about (whoever's execution sent them). */
export interface JournaledWrites {
  readonly written: number;
  readonly rootsRemoved: readonly ExpiredRoot[];
}

export const recordGatewaySync = defineActivity<RecordSyncInput, JournaledWrites>(
  "recordGatewaySync",
  async (input) => {
    const { ledger } = services();
    await ledger.recordGatewaySync({
      gatewayId: input.gatewayId,
      lastSyncAt: new Date(),
      outcome: input.outcome,
      detail: input.detail,
      revokedCount: input.revokedCount,
      rootCount: input.rootCount,
    });
    const writes = await ledger.listGatewayWrites(input.gatewayId);
    // Reported once: a repeat of this activity (its result dropped) finds them gone; the first one's result carries them.
    await ledger.clearGatewayWrites(
      input.gatewayId,
      writes.map((w) => w.key),
    );
    const removed = new Map(writes.flatMap((w) => w.rootsRemoved).map((r) => [r.name.toLowerCase(), r]));
    return { written: writes.length, rootsRemoved: [...removed.values()] };
  },
);
