// Timers of Entra events. entraSubscriptions keeps the Graph subscriptions alive (creates missing ones, renews those
// near expiry). entraReconcile is the safety net Graph's missing `missed` notifications for users and groups call for:
// delta queries of the VPN group's members and of users, and a check of everyone holding access, converging the
// ledger with the directory both ways. Both run their work as an entraChange instance, retried until done.
import { app } from "@azure/functions";
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getConfig } from "../config";
import { startEntraWork } from "../clients/entra-work-start";

export async function entraSubscriptions(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = getConfig();
  if (config.ENTRA_NOTIFICATION_URL === undefined || config.ENTRA_NOTIFICATION_CLIENT_STATE === undefined) {
    context.log("entraSubscriptions: ENTRA_NOTIFICATION_URL or ENTRA_NOTIFICATION_CLIENT_STATE unset: nothing to keep");
    return;
  }
  const { instanceId } = await startEntraWork(
    df.getClient(context),
    { kind: "subscriptions" },
    "timer:entraSubscriptions",
  );
  context.log(`entraSubscriptions: started ${instanceId}`);
}

export async function entraReconcile(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = getConfig();
  if (!config.ENTRA_EVENTS_ENABLED || config.ENTRA_VPN_GROUP_ID === undefined) {
    context.log("entraReconcile: Entra events are off (ENTRA_EVENTS_ENABLED, ENTRA_VPN_GROUP_ID)");
    return;
  }
  const { instanceId } = await startEntraWork(df.getClient(context), { kind: "reconcile" }, "timer:entraReconcile");
  context.log(`entraReconcile: started ${instanceId}`);
}

app.timer("entraSubscriptions", {
  schedule: "%ENTRA_SUBSCRIPTIONS_SCHEDULE%",
  extraInputs: [df.input.durableClient()],
  handler: entraSubscriptions,
});

app.timer("entraReconcile", {
  schedule: "%ENTRA_RECONCILE_SCHEDULE%",
  extraInputs: [df.input.durableClient()],
  handler: entraReconcile,
});
