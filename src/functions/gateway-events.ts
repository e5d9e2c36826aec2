// Event Grid trigger gatewayEvents: a successful write of a configured gateway (ResourceWriteSuccess from the
// subscription's system topic) asks that gateway's profile regenerator for a pass; anything else is ignored and
// counted. The regenerator debounces and runs one pass at a time per gateway.
import { app } from "@azure/functions";
import type { EventGridEvent, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { getConfig } from "../config";
import { regeneratorInput, requestProfileRegeneration } from "../clients/profile-regenerator-starter";
import { classifyGatewayEvent } from "../domain/gateway-event";
import type { IgnoredReason } from "../domain/gateway-event";

const ignored = new Map<IgnoredReason, number>();

const ignore = (reason: IgnoredReason) => ({ relevant: false, reason }) as const;

/** Events ignored by this process since it started, by reason. */
export function ignoredGatewayEvents(): ReadonlyMap<IgnoredReason, number> {
  return ignored;
}

export async function gatewayEvents(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const classified = classifyGatewayEvent(event, config.GATEWAY_RESOURCE_IDS);
  const verdict = classified.relevant && !config.PROFILES_ENABLED ? ignore("profilesDisabled") : classified;
  if (!verdict.relevant) {
    const count = (ignored.get(verdict.reason) ?? 0) + 1;
    ignored.set(verdict.reason, count);
    context.log(
      `gatewayEvents: ignored ${event.eventType} for ${event.subject} (${verdict.reason}; ${count} so far) id=${event.id}`,
    );
    return;
  }
  const result = await requestProfileRegeneration(
    df.getClient(context),
    regeneratorInput(config, verdict.gatewayId, `event ${event.id}`),
  );
  context.log(`gatewayEvents: ${verdict.gatewayId.split("/").pop() ?? ""} regeneration ${result} (event ${event.id})`);
}

app.eventGrid("gatewayEvents", { extraInputs: [df.input.durableClient()], handler: gatewayEvents });
