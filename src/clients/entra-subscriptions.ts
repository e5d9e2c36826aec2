// Keeps the app's Graph subscriptions alive: one on groups (membership changes of the VPN group and of groups nested in
// it arrive as group updates) and one on users (disabled, deleted), both sent to ENTRA_NOTIFICATION_URL with the
// clientState. Missing ones are created (Graph validates the endpoint first), ones expiring within the renewal window
// are renewed to the maximum, all reckoned by Graph's clock.
import type { Config } from "../config";
import type { GraphClient } from "./graph";
import { createSubscription, listSubscriptions, renewSubscription } from "./graph-events";
import type { GraphSubscription } from "./graph-events";

/** Directory subscriptions last at most 41,760 minutes; an hour less leaves room for clock skew. */
export const SUBSCRIPTION_LIFETIME_MINUTES = 41_760 - 60;

export const WANTED_RESOURCES = ["groups", "users"] as const;
const CHANGE_TYPE = "updated,deleted";

export type SubscriptionsConfig = Pick<
  Config,
  "ENTRA_NOTIFICATION_URL" | "ENTRA_NOTIFICATION_CLIENT_STATE" | "ENTRA_SUBSCRIPTION_RENEW_HOURS"
>;

export interface SubscriptionAction {
  readonly resource: string;
  readonly action: "created" | "renewed" | "kept";
  readonly id: string;
  readonly expirationDateTime: string;
}

/** The lifecycle URL that goes with a notification URL: .../notifications/lifecycle, or the same EventGrid: URL. */
export function lifecycleUrlOf(notificationUrl: string): string {
  if (notificationUrl.startsWith("EventGrid:")) return notificationUrl;
  const url = new URL(notificationUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/lifecycle`;
  return url.toString();
}

function sameResource(a: string, b: string): boolean {
  return a.replace(/^\/+/, "").toLowerCase() === b.replace(/^\/+/, "").toLowerCase();
}

export async function maintainSubscriptions(
  graph: GraphClient,
  config: SubscriptionsConfig,
): Promise<SubscriptionAction[]> {
  const notificationUrl = config.ENTRA_NOTIFICATION_URL;
  const clientState = config.ENTRA_NOTIFICATION_CLIENT_STATE;
  if (notificationUrl === undefined || clientState === undefined) return [];
  const { subscriptions, graphNow } = await listSubscriptions(graph);
  const now = (graphNow ?? new Date()).getTime();
  const target = (): string => new Date(now + SUBSCRIPTION_LIFETIME_MINUTES * 60_000).toISOString();
  const actions: SubscriptionAction[] = [];
  for (const resource of WANTED_RESOURCES) {
    const ours = subscriptions
      .filter((s: GraphSubscription) => sameResource(s.resource, resource) && s.notificationUrl === notificationUrl)
      .sort((a, b) => Date.parse(b.expirationDateTime) - Date.parse(a.expirationDateTime));
    const current = ours[0];
    if (current === undefined) {
      const created = await createSubscription(graph, {
        resource,
        changeType: CHANGE_TYPE,
        notificationUrl,
        lifecycleNotificationUrl: lifecycleUrlOf(notificationUrl),
        clientState,
        expirationDateTime: target(),
      });
      actions.push({ resource, action: "created", id: created.id, expirationDateTime: created.expirationDateTime });
      continue;
    }
    if (Date.parse(current.expirationDateTime) - now < config.ENTRA_SUBSCRIPTION_RENEW_HOURS * 3_600_000) {
      const expirationDateTime = target();
      await renewSubscription(graph, current.id, expirationDateTime);
      actions.push({ resource, action: "renewed", id: current.id, expirationDateTime });
      continue;
    }
    actions.push({ resource, action: "kept", id: current.id, expirationDateTime: current.expirationDateTime });
  }
  return actions;
}
