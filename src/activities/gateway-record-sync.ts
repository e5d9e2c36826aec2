// Activity: records the outcome of a writer pass for GET /api/v1/gateways, and audits writes.
import { defineActivity } from "./define";
import { services } from "./services";
import { parseGatewayId } from "../clients/gateway";
import { describeExpiredRoots } from "../domain/expired-roots";
import type { ExpiredRoot } from "../domain/expired-roots";

export interface RecordSyncInput {
  readonly gatewayId: string;
  readonly passId: string;
  readonly outcome: string;
  readonly detail: string;
  readonly revokedCount: number;
  readonly rootCount: number;
  readonly addedRevocations: readonly string[];
  readonly prunedRevocations: readonly string[];
  /** Expired roots the write left out (removed from the gateway); audited one entry per write. */
  readonly rootsRemoved?: readonly ExpiredRoot[];
}

export const recordGatewaySync = defineActivity<RecordSyncInput, null>("recordGatewaySync", async (input) => {
  const { ledger } = services();
  const at = new Date();
  await ledger.recordGatewaySync({
    gatewayId: input.gatewayId,
    lastSyncAt: at,
    outcome: input.outcome,
    detail: input.detail,
    revokedCount: input.revokedCount,
    rootCount: input.rootCount,
  });
  if (input.outcome === "written") {
    const name = parseGatewayId(input.gatewayId).name;
    await ledger.appendAudit({
      id: `${input.passId}:written`,
      at,
      actor: "gatewayWriter",
      action: "gateway.written",
      subject: `gateway:${name.toLowerCase()}`,
      reason: input.detail,
      source: "gateway-sync",
      details: {
        added: input.addedRevocations.length,
        pruned: input.prunedRevocations.length,
        revokedCount: input.revokedCount,
        firstAdded: input.addedRevocations[0] ?? "",
      },
    });
    const removed = input.rootsRemoved ?? [];
    if (removed.length > 0) {
      await ledger.appendAudit({
        id: `${input.passId}:expired-roots-removed`,
        at,
        actor: "gatewayWriter",
        action: "gateway.expiredRootsRemoved",
        subject: `gateway:${name.toLowerCase()}`,
        reason: `removed ${describeExpiredRoots(removed)}: Azure refuses a gateway write that carries an expired root`,
        source: "gateway-sync",
        details: { count: removed.length, roots: removed.map((r) => r.name).join(",") },
      });
    }
  }
  return null;
});
