// entraEvents: Microsoft Graph change notifications through an Event Grid partner topic, as CloudEvents 1.0
// (Microsoft.Graph.UserUpdated, UserDeleted, GroupUpdated, GroupDeleted). The Functions library types Event Grid
// events in the Event Grid schema only, so the CloudEvent is parsed and checked here. A valid event with the right
// clientState is stored as an entraChange instance keyed by the event id (a redelivery joins it); a malformed or
// forged one is refused and audited, never retried.
import { app } from "@azure/functions";
import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { randomUUID } from "node:crypto";
import { services } from "../activities/services";
import { getConfig } from "../config";
import { entraInstanceId, startEntraWork } from "../clients/entra-work-start";
import { parseGraphCloudEvent, sameClientState } from "../domain/entra-notifications";
import { NOTIFICATIONS_SUBJECT } from "./entra-notifications-http";

async function refuse(reason: string, context: InvocationContext): Promise<void> {
  context.warn(`entraEvents: refused: ${reason}`);
  await services().ledger.appendAudit({
    id: `entra-refused:${randomUUID()}`,
    at: new Date(),
    actor: "entra:event",
    action: "entra.event.refused",
    subject: NOTIFICATIONS_SUBJECT,
    reason,
    source: "entra",
  });
}

export async function entraEvents(event: unknown, context: InvocationContext): Promise<void> {
  const clientState = getConfig().ENTRA_NOTIFICATION_CLIENT_STATE;
  if (clientState === undefined) {
    await refuse("Entra notifications are not configured (ENTRA_NOTIFICATION_CLIENT_STATE)", context);
    return;
  }
  const parsed = parseGraphCloudEvent(event);
  if (parsed.kind === "invalid") {
    await refuse(`not a Graph CloudEvent: ${parsed.reason}`, context);
    return;
  }
  const presented = parsed.kind === "change" ? parsed.change.clientState : parsed.lifecycle.clientState;
  if (!sameClientState(clientState, presented)) {
    await refuse("clientState does not match", context);
    return;
  }
  const work =
    parsed.kind === "change"
      ? { kind: parsed.change.objectType, objectId: parsed.change.objectId }
      : { kind: "reauthorize" as const, subscriptionId: parsed.lifecycle.subscriptionId };
  await startEntraWork(df.getClient(context), work, "entra:event", entraInstanceId(work.kind, parsed.id));
}

app.eventGrid("entraEvents", { extraInputs: [df.input.durableClient()], handler: entraEvents });
