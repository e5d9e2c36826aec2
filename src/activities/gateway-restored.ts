// Activity: audits the entries a writer pass put back on a gateway after a concurrent write had dropped them.
import { defineActivity } from "./define";
import { services } from "./services";
import { parseGatewayId } from "../clients/gateway";

export interface RestoredEntriesInput {
  readonly gatewayId: string;
  readonly passId: string;
  /** The entries put back, named ("revoked <name> (<thumbprint>)", "root <name>"). */
  readonly restored: readonly string[];
}

export const auditRestoredEntries = defineActivity<RestoredEntriesInput, null>(
  "auditRestoredEntries",
  async ({ gatewayId, passId, restored }) => {
    const name = parseGatewayId(gatewayId).name;
    await services().ledger.appendAudit({
      id: `${passId}:restored`,
      at: new Date(),
      actor: "gatewayWriter",
      action: "gateway.entries.restored",
      subject: `gateway:${name.toLowerCase()}`,
      reason: "a concurrent write dropped entries that were on the gateway before the writer's write; put back",
      source: "gateway-sync",
      details: { count: restored.length, entries: restored.join("; ") },
    });
    return null;
  },
);
