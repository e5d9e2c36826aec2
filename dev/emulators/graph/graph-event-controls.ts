// Controls for the event features (no token; never faulted or counted): switch change notifications off and on,
// read what was delivered, point "EventGrid:" subscriptions at a destination (the partner topic's event
// subscription), send a lifecycle notification, expire every delta token.
import { z } from "zod";
import { emptyResponse, errorResponse, jsonResponse, route } from "../framework";
import type { EmulatorRoute } from "../framework";
import type { DeltaTokens } from "./delta";
import { SubscriptionError } from "./subscriptions";
import type { SubscriptionStore } from "./subscriptions";

const switchInput = z.object({ enabled: z.boolean() }).strict();
const eventGridInput = z.object({ url: z.url(), headers: z.record(z.string(), z.string()).optional() }).strict();
const lifecycleInput = z.object({ lifecycleEvent: z.literal("reauthorizationRequired") }).strict();

export function graphEventControlRoutes(store: SubscriptionStore, tokens: DeltaTokens): EmulatorRoute[] {
  return [
    route({
      method: "POST",
      path: "/_emulator/notifications",
      operation: "_emulator.graph.notifications.switch",
      handler: (request) => {
        const parsed = switchInput.safeParse(request.body);
        if (!parsed.success) return errorResponse(400, "InvalidControlRequest", "body must be { enabled: boolean }");
        store.setNotificationsEnabled(parsed.data.enabled);
        return jsonResponse(200, { enabled: store.notificationsEnabled });
      },
    }),
    route({
      method: "GET",
      path: "/_emulator/notifications",
      operation: "_emulator.graph.notifications.list",
      handler: () => jsonResponse(200, { enabled: store.notificationsEnabled, deliveries: store.deliveries() }),
    }),
    route({
      method: "PUT",
      path: "/_emulator/event-grid",
      operation: "_emulator.graph.eventGrid.set",
      handler: (request) => {
        const parsed = eventGridInput.safeParse(request.body);
        if (!parsed.success) return errorResponse(400, "InvalidControlRequest", "body must be { url, headers? }");
        store.setEventGridDestination({ url: parsed.data.url, headers: parsed.data.headers ?? {} });
        return emptyResponse(204);
      },
    }),
    route({
      method: "DELETE",
      path: "/_emulator/event-grid",
      operation: "_emulator.graph.eventGrid.clear",
      handler: () => {
        store.setEventGridDestination(undefined);
        return emptyResponse(204);
      },
    }),
    route({
      method: "GET",
      path: "/_emulator/subscriptions",
      operation: "_emulator.graph.subscriptions.list",
      handler: () => jsonResponse(200, { value: store.list() }),
    }),
    route({
      method: "POST",
      path: "/_emulator/subscriptions/{id}/lifecycle",
      operation: "_emulator.graph.subscriptions.lifecycle",
      handler: async (request) => {
        const parsed = lifecycleInput.safeParse(request.body);
        if (!parsed.success) {
          return errorResponse(
            400,
            "InvalidControlRequest",
            'body must be { lifecycleEvent: "reauthorizationRequired" }',
          );
        }
        try {
          const delivery = await store.sendLifecycle(request.params.id, parsed.data.lifecycleEvent);
          return jsonResponse(200, { delivery: delivery ?? null });
        } catch (error) {
          if (error instanceof SubscriptionError) return errorResponse(error.status, error.code, error.message);
          throw error;
        }
      },
    }),
    route({
      method: "POST",
      path: "/_emulator/delta/expire",
      operation: "_emulator.graph.delta.expire",
      handler: () => {
        tokens.expireAll();
        return emptyResponse(204);
      },
    }),
  ];
}
