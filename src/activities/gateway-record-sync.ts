// Activity: records the outcome of a writer pass for GET /api/v1/gateways, and audits writes.
import { defineActivity } from "./define";
import { services } from "./services";
import { parseGatewayId } from "../clients/gateway";

export interface RecordSyncInput {
  readonly gatewayId: string;
  readonly passId: string;
  readonly outcome: string;
  readonly detail: string;
  readonly revokedCount: number;
  readonly rootCount: number;
  readonly addedRevocations: readonly string[];
  readonly prunedRevocations: readonly string[];
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
  }
  return null;
});
