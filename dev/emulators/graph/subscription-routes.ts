// /v1.0/subscriptions: create (after the validation handshake), read, list, renew (PATCH expirationDateTime),
// reauthorize and delete, for directory resources (users, groups, a group's members) with basic notifications only.
import { emptyResponse, jsonResponse, route } from "../framework";
import type { EmulatorResponse, EmulatorRoute } from "../framework";
import { badRequest } from "./graph-reply";
import { EMULATOR_APP_ID, isDirectoryResource, SubscriptionError } from "./subscriptions";
import type { Subscription, SubscriptionStore } from "./subscriptions";

const METADATA = "https://graph.microsoft.com/v1.0/$metadata";
/** Graph caps clientState at 128 characters. */
const CLIENT_STATE_MAX = 128;
/** Users and groups support only these change types (creation arrives as updated). */
const DIRECTORY_CHANGE_TYPES = new Set(["updated", "deleted"]);

function view(s: Subscription): Record<string, unknown> {
  return {
    id: s.id,
    resource: s.resource,
    applicationId: EMULATOR_APP_ID,
    changeType: s.changeType,
    clientState: s.clientState,
    notificationUrl: s.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: s.lifecycleNotificationUrl,
    expirationDateTime: s.expirationDateTime,
    creatorId: EMULATOR_APP_ID,
    includeResourceData: false,
    latestSupportedTlsVersion: "v1_2",
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationUrlAppId: null,
  };
}

function failure(error: unknown): EmulatorResponse {
  if (!(error instanceof SubscriptionError)) throw error;
  return { status: error.status, body: { error: { code: error.code, message: error.message } } };
}

/** An https URL, or http on loopback (the dev host; **guess**-free deviation: Graph takes https only). */
function reachableUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  } catch {
    return false;
  }
}

function eventGridUrl(value: string): boolean {
  if (!value.startsWith("EventGrid:?")) return false;
  const query = new URLSearchParams(value.slice("EventGrid:?".length));
  return ["azuresubscriptionid", "resourcegroup", "partnertopic", "location"].every((k) => (query.get(k) ?? "") !== "");
}

interface CreateInput {
  readonly resource: string;
  readonly changeType: string;
  readonly clientState: string | null;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string | null;
  readonly expirationDateTime: string;
}

function createInput(body: unknown): CreateInput | EmulatorResponse {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const text = (name: string): string | undefined => {
    const value = b[name];
    return typeof value === "string" ? value : undefined;
  };
  const resource = text("resource");
  const changeType = text("changeType");
  const notificationUrl = text("notificationUrl");
  const expirationDateTime = text("expirationDateTime");
  if (resource === undefined || changeType === undefined || notificationUrl === undefined) {
    return badRequest("InvalidRequest", "resource, changeType and notificationUrl are required.");
  }
  if (expirationDateTime === undefined) return badRequest("InvalidRequest", "expirationDateTime is required.");
  if (!isDirectoryResource(resource)) {
    // Only directory resources are modelled: anything else is refused rather than silently never notified.
    return badRequest("InvalidRequest", `Resource '${resource}' is not supported by this emulator.`);
  }
  const types = changeType.split(",").map((t) => t.trim());
  if (types.length === 0 || !types.every((t) => DIRECTORY_CHANGE_TYPES.has(t))) {
    return badRequest("InvalidRequest", `changeType '${changeType}' is not supported for resource '${resource}'.`);
  }
  const clientState = text("clientState") ?? null;
  if (clientState !== null && clientState.length > CLIENT_STATE_MAX) {
    return badRequest("InvalidRequest", `clientState must be at most ${CLIENT_STATE_MAX} characters.`);
  }
  const lifecycleNotificationUrl = text("lifecycleNotificationUrl") ?? null;
  const eventGrid = eventGridUrl(notificationUrl);
  for (const url of [notificationUrl, lifecycleNotificationUrl]) {
    if (url !== null && !(eventGrid ? eventGridUrl(url) : reachableUrl(url))) {
      return badRequest("InvalidRequest", `Invalid notification URL '${url}': https (or an EventGrid: URL) required.`);
    }
  }
  if (b.includeResourceData === true) {
    return badRequest("InvalidRequest", "includeResourceData is not supported for directory resources.");
  }
  return {
    resource,
    changeType: types.join(","),
    clientState,
    notificationUrl,
    lifecycleNotificationUrl,
    expirationDateTime,
  };
}

export function subscriptionRoutes(store: SubscriptionStore): EmulatorRoute[] {
  return [
    route({
      method: "POST",
      path: "/v1.0/subscriptions",
      operation: "subscriptions.create",
      handler: async (request) => {
        const input = createInput(request.body);
        if ("status" in input) return input;
        try {
          const created = await store.create(input);
          return jsonResponse(201, { "@odata.context": `${METADATA}#subscriptions/$entity`, ...view(created) });
        } catch (error) {
          return failure(error);
        }
      },
    }),
    route({
      method: "GET",
      path: "/v1.0/subscriptions",
      operation: "subscriptions.list",
      handler: () =>
        jsonResponse(200, { "@odata.context": `${METADATA}#subscriptions`, value: store.list().map(view) }),
    }),
    route({
      method: "GET",
      path: "/v1.0/subscriptions/{id}",
      operation: "subscriptions.get",
      handler: (request) => {
        const found = store.get(request.params.id);
        if (found === undefined)
          return failure(new SubscriptionError(404, "ResourceNotFound", "The object was not found."));
        return jsonResponse(200, { "@odata.context": `${METADATA}#subscriptions/$entity`, ...view(found) });
      },
    }),
    route({
      method: "PATCH",
      path: "/v1.0/subscriptions/{id}",
      operation: "subscriptions.update",
      handler: (request) => {
        const expiration = (request.body as { expirationDateTime?: unknown } | undefined)?.expirationDateTime;
        if (typeof expiration !== "string") return badRequest("InvalidRequest", "expirationDateTime is required.");
        try {
          const renewed = store.renew(request.params.id, expiration);
          return jsonResponse(200, { "@odata.context": `${METADATA}#subscriptions/$entity`, ...view(renewed) });
        } catch (error) {
          return failure(error);
        }
      },
    }),
    route({
      method: "POST",
      path: "/v1.0/subscriptions/{id}/reauthorize",
      operation: "subscriptions.reauthorize",
      handler: (request) => {
        try {
          store.reauthorize(request.params.id);
          return emptyResponse(204);
        } catch (error) {
          return failure(error);
        }
      },
    }),
    route({
      method: "DELETE",
      path: "/v1.0/subscriptions/{id}",
      operation: "subscriptions.delete",
      handler: (request) =>
        store.delete(request.params.id)
          ? emptyResponse(204)
          : failure(new SubscriptionError(404, "ResourceNotFound", "The object was not found.")),
    }),
  ];
}
