// Which Event Grid events call for a profile regeneration: Microsoft.Resources.ResourceWriteSuccess (Event Grid
// schema) of a configured gateway itself, whose write succeeded. Anything else is ignored, with the reason counted.

export type GatewayEventVerdict =
  | { readonly relevant: true; readonly gatewayId: string }
  | { readonly relevant: false; readonly reason: IgnoredReason };

export type IgnoredReason = "notAnEvent" | "eventType" | "notConfigured" | "notSucceeded" | "profilesDisabled";

export const RESOURCE_WRITE_SUCCESS = "Microsoft.Resources.ResourceWriteSuccess";

export function classifyGatewayEvent(event: unknown, gatewayIds: readonly string[]): GatewayEventVerdict {
  if (typeof event !== "object" || event === null) return { relevant: false, reason: "notAnEvent" };
  const e = event as { eventType?: unknown; subject?: unknown; data?: unknown };
  if (e.eventType !== RESOURCE_WRITE_SUCCESS) return { relevant: false, reason: "eventType" };
  const data = (typeof e.data === "object" && e.data !== null ? e.data : {}) as {
    resourceUri?: unknown;
    status?: unknown;
    operationName?: unknown;
  };
  const resource = typeof data.resourceUri === "string" ? data.resourceUri : e.subject;
  if (typeof resource !== "string") return { relevant: false, reason: "notAnEvent" };
  // Only the gateway itself: a child resource (NAT rules, connections) or another gateway is no profile change.
  const gatewayId = gatewayIds.find((id) => id.toLowerCase() === resource.toLowerCase().replace(/\/+$/, ""));
  if (gatewayId === undefined) return { relevant: false, reason: "notConfigured" };
  if (typeof data.status === "string" && data.status.toLowerCase() !== "succeeded") {
    return { relevant: false, reason: "notSucceeded" };
  }
  return { relevant: true, gatewayId };
}
