// POST /api/v1/entra/notifications and /api/v1/entra/notifications/lifecycle: Microsoft Graph's change and lifecycle
// notifications. Anonymous at the platform (Graph sends no key); each notification is authenticated by its
// clientState, compared in constant time with ENTRA_NOTIFICATION_CLIENT_STATE, and a mismatch is refused and audited.
// The validation handshake (?validationToken=) is answered 200 text/plain with the decoded token. Accepted
// notifications are stored as entraChange instances and answered 202 at once (Graph wants an answer within 3 s);
// the instance reads the user or group from Graph before acting.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { randomUUID } from "node:crypto";
import { services } from "../activities/services";
import { getConfig } from "../config";
import type { EntraWork } from "../activities/entra";
import { startEntraWork } from "../clients/entra-work-start";
import { notificationItems, parseChange, parseLifecycle, sameClientState } from "../domain/entra-notifications";
import { problem } from "./http-validation";

/** Graph batches notifications; 1 MiB is far above a batch and far below harm. */
const MAX_NOTIFICATION_BYTES = 1024 * 1024;
/** Graph's validation tokens are a sentence; anything much longer is not one. */
const MAX_VALIDATION_TOKEN = 1024;
export const NOTIFICATIONS_SUBJECT = "entra-notifications";
/** How many refused subscription ids a refusal's audit row names. */
const MAX_AUDITED_SUBSCRIPTIONS = 5;

type Kind = "change" | "lifecycle";

function validationAnswer(token: string): HttpResponseInit {
  if (token.length > MAX_VALIDATION_TOKEN) return problem(400, "Invalid validation token", "too long");
  // The decoded token, as text: nosniff so a browser never reads the echo as anything else.
  return {
    status: 200,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
    body: token,
  };
}

async function readBody(request: HttpRequest): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > MAX_NOTIFICATION_BYTES) return undefined;
  const text = await request.text();
  if (text.length > MAX_NOTIFICATION_BYTES) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function auditRefusal(reason: string, details: Record<string, string | number>): Promise<void> {
  await services().ledger.appendAudit({
    id: `entra-refused:${randomUUID()}`,
    at: new Date(),
    actor: "entra:notification",
    action: "entra.notification.refused",
    subject: NOTIFICATIONS_SUBJECT,
    reason,
    source: "entra",
    details,
  });
}

/** Shared by both routes: handshake, parse, clientState check, store. */
export async function receiveNotifications(
  kind: Kind,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const token = request.query.get("validationToken");
  const config = getConfig();
  const clientState = config.ENTRA_NOTIFICATION_CLIENT_STATE;
  if (clientState === undefined) return problem(404, "Not found", "Entra notifications are not configured");
  if (token !== null) return validationAnswer(token);
  const body = await readBody(request);
  const items = notificationItems(body);
  if (items === undefined) return problem(400, "Invalid notification", "expected { value: [...] } JSON");
  const work: EntraWork[] = [];
  const refusedSubscriptions: string[] = [];
  for (const item of items) {
    const parsed = kind === "change" ? parseChange(item) : parseLifecycle(item);
    if (parsed === undefined) continue;
    if (!sameClientState(clientState, parsed.clientState)) {
      refusedSubscriptions.push(parsed.subscriptionId.slice(0, 64));
      continue;
    }
    if ("objectType" in parsed) work.push({ kind: parsed.objectType, objectId: parsed.objectId });
    else if (parsed.lifecycleEvent === "reauthorizationRequired") {
      work.push({ kind: "reauthorize", subscriptionId: parsed.subscriptionId });
    } else if (parsed.lifecycleEvent === "missed") work.push({ kind: "reconcile" });
    else work.push({ kind: "subscriptions" });
  }
  const refused = refusedSubscriptions.length;
  if (refused > 0) {
    // One audit row per request, however many items it carried: an anonymous caller cannot multiply audit writes.
    await auditRefusal("clientState does not match", {
      kind,
      refused,
      subscriptionIds: [...new Set(refusedSubscriptions)].slice(0, MAX_AUDITED_SUBSCRIPTIONS).join(","),
    });
  }
  if (work.length === 0 && refused > 0) {
    context.warn(`entra notifications: ${refused} refused (clientState mismatch)`);
    return problem(403, "Forbidden", "clientState does not match");
  }
  const client = df.getClient(context);
  const actor = kind === "change" ? "entra:notification" : "entra:lifecycle";
  // One piece of work per object in a batch: each reads the object's current state, so repeats add nothing.
  const unique = [...new Map(work.map((w) => [JSON.stringify(w), w])).values()];
  // Stored (started) before answering: a failure here is a 500, and Graph delivers again.
  await Promise.all(unique.map((w) => startEntraWork(client, w, actor)));
  return { status: 202 };
}

app.http("entraNotifications", {
  route: "v1/entra/notifications",
  methods: ["POST"],
  authLevel: "anonymous",
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => receiveNotifications("change", request, context),
});

app.http("entraLifecycleNotifications", {
  route: "v1/entra/notifications/lifecycle",
  methods: ["POST"],
  authLevel: "anonymous",
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => receiveNotifications("lifecycle", request, context),
});
