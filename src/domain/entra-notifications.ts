// Microsoft Graph change notifications as they reach the app, parsed and checked here (the Functions library has no
// type for them): the webhook's { value: [...] } collection, lifecycle notifications, and Graph's CloudEvents from an
// Event Grid partner topic. Only users and groups matter; clientState is compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";

export interface EntraChange {
  readonly objectType: "user" | "group";
  readonly objectId: string;
  readonly changeType: "created" | "updated" | "deleted";
  readonly subscriptionId: string;
  /** The notification's clientState (checked by the caller). */
  readonly clientState: string | undefined;
}

export interface EntraLifecycleEvent {
  readonly subscriptionId: string;
  readonly lifecycleEvent: string;
  readonly clientState: string | undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHANGE_TYPES = new Set(["created", "updated", "deleted"]);

export const GRAPH_EVENT_TYPES = [
  "Microsoft.Graph.UserUpdated",
  "Microsoft.Graph.UserDeleted",
  "Microsoft.Graph.GroupUpdated",
  "Microsoft.Graph.GroupDeleted",
] as const;
/** **Assumed** name of the lifecycle event a Graph subscription with an EventGrid: URL delivers. */
export const GRAPH_REAUTHORIZATION_EVENT = "Microsoft.Graph.SubscriptionReauthorizationRequired";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Constant time for equal lengths and no early exit on length: both sides are hashed first. */
export function sameClientState(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

/** "Users/{id}", "users/{id}", "Groups/{id}/members"... : the object a notification is about. */
function objectOf(
  resource: string | undefined,
  dataId: string | undefined,
): Pick<EntraChange, "objectType" | "objectId"> | undefined {
  const match = /^\/?(users|groups)\/([0-9a-f-]{36})(\/members)?\/?$/i.exec(resource ?? "");
  const set = match?.[1]?.toLowerCase();
  const id = (dataId ?? match?.[2])?.toLowerCase();
  if (set === undefined || id === undefined || !GUID.test(id)) return undefined;
  return { objectType: set === "users" ? "user" : "group", objectId: id };
}

/** One change notification (webhook item or a CloudEvent's data); undefined when it is not a directory change. */
export function parseChange(item: unknown): EntraChange | undefined {
  if (!isRecord(item)) return undefined;
  const changeType = text(item, "changeType");
  const subscriptionId = text(item, "subscriptionId");
  const resourceData = isRecord(item.resourceData) ? item.resourceData : {};
  const object = objectOf(text(item, "resource"), text(resourceData, "id"));
  if (object === undefined || changeType === undefined || subscriptionId === undefined) return undefined;
  // A subscription may ask for several; a notification carries one.
  if (!CHANGE_TYPES.has(changeType)) return undefined;
  return {
    ...object,
    changeType: changeType as EntraChange["changeType"],
    subscriptionId,
    clientState: text(item, "clientState"),
  };
}

/** The webhook body: { value: [...] }; undefined when it is not that shape at all. */
export function notificationItems(body: unknown): unknown[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.value) || body.value.length === 0) return undefined;
  return body.value as unknown[];
}

export function parseLifecycle(item: unknown): EntraLifecycleEvent | undefined {
  if (!isRecord(item)) return undefined;
  const subscriptionId = text(item, "subscriptionId");
  const lifecycleEvent = text(item, "lifecycleEvent");
  if (subscriptionId === undefined || lifecycleEvent === undefined) return undefined;
  return { subscriptionId, lifecycleEvent, clientState: text(item, "clientState") };
}

export type GraphCloudEvent =
  | { readonly kind: "change"; readonly id: string; readonly change: EntraChange }
  | { readonly kind: "lifecycle"; readonly id: string; readonly lifecycle: EntraLifecycleEvent };

/**
 * A CloudEvents 1.0 event from Graph's partner topic: specversion 1.0, id, source, a Graph event type, JSON data
 * carrying the notification. Returns the reason when it is not one.
 */
export function parseGraphCloudEvent(
  event: unknown,
): GraphCloudEvent | { readonly kind: "invalid"; readonly reason: string } {
  if (!isRecord(event)) return { kind: "invalid", reason: "not a JSON object" };
  if (event.specversion !== "1.0") return { kind: "invalid", reason: "specversion is not 1.0" };
  const id = text(event, "id");
  const type = text(event, "type");
  if (id === undefined || text(event, "source") === undefined || type === undefined) {
    return { kind: "invalid", reason: "id, source and type are required" };
  }
  const data = typeof event.data === "string" ? parseJson(event.data) : event.data;
  if (!isRecord(data)) return { kind: "invalid", reason: "data is not a JSON object" };
  if (type === GRAPH_REAUTHORIZATION_EVENT) {
    const lifecycle = parseLifecycle({ lifecycleEvent: "reauthorizationRequired", ...data });
    return lifecycle === undefined
      ? { kind: "invalid", reason: "lifecycle data lacks subscriptionId" }
      : { kind: "lifecycle", id, lifecycle };
  }
  if (!(GRAPH_EVENT_TYPES as readonly string[]).includes(type))
    return { kind: "invalid", reason: `event type ${type} is not handled` };
  const change = parseChange(data);
  if (change === undefined)
    return { kind: "invalid", reason: "data lacks changeType, subscriptionId or a users/groups resource" };
  const expectedObject = type.startsWith("Microsoft.Graph.User") ? "user" : "group";
  if (change.objectType !== expectedObject)
    return { kind: "invalid", reason: `a ${type} about a ${change.objectType}` };
  return { kind: "change", id, change };
}

function parseJson(textValue: string): unknown {
  try {
    return JSON.parse(textValue) as unknown;
  } catch {
    return undefined;
  }
}
