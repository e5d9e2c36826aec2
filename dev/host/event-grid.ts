// The Event Grid extension's webhook, /runtime/webhooks/eventgrid?functionName=NAME, as the extension answers it:
// the system key (or master key) is required; OPTIONS is the CloudEvents abuse-protection handshake;
// `aeg-event-type: SubscriptionValidation` echoes the validation code; `Notification` (Event Grid schema array or
// CloudEvents, single or batch) invokes the function once per event, all in parallel, answering 202 when all
// succeeded and 500 with the first failure's message otherwise; `Unsubscribe` answers 202.
import type { IncomingHttpHeaders } from "node:http";
import type { HostHttpResponse } from "./contracts";
import type { WorkerInvoker } from "./invoker";
import { authorizesEventGrid, presentedKey } from "./keys";
import type { HostKeys } from "./keys";
import { toTypedData } from "./rpc";
import type { RpcTypedData } from "./rpc";

export const EVENT_GRID_PATH = "/runtime/webhooks/eventgrid";

/** Origins the extension echoes in WebHook-Allowed-Origin; anything else gets the public cloud's. */
const KNOWN_ORIGINS = new Set([
  "eventgrid.azure.net",
  "eventgrid.azure.us",
  "eventgrid.azure.eaglex.ic.gov",
  "eventgrid.azure.microsoft.scloud",
  "eventgrid.azure.cn",
]);

export interface EventGridRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export async function handleEventGrid(
  request: EventGridRequest,
  invoker: WorkerInvoker,
  keys: HostKeys,
): Promise<HostHttpResponse> {
  if (!authorizesEventGrid(keys, presentedKey(request.headers, request.url.searchParams))) return { status: 401 };
  const functionName = request.url.searchParams.get("functionName") ?? "";
  const target = invoker.find(functionName);
  if (target === undefined || target.trigger.type.toLowerCase() !== "eventgridtrigger") {
    return text(404, `cannot find function: '${functionName}'`);
  }

  if (request.method === "OPTIONS") {
    const origin = headerValue(request.headers, "webhook-request-origin");
    const allowed = origin !== undefined && KNOWN_ORIGINS.has(origin) ? origin : "eventgrid.azure.net";
    return { status: 200, headers: { "webhook-allowed-origin": allowed } };
  }

  const eventType = headerValue(request.headers, "aeg-event-type")?.toLowerCase();
  const contentType = headerValue(request.headers, "content-type")?.toLowerCase() ?? "";
  const isCloudEventsContent = contentType.startsWith("application/cloudevents");

  if (eventType === "subscriptionvalidation") {
    const code = validationCode(parseJson(request.body));
    if (code === undefined) return text(400, "no validationCode in the subscription validation event");
    return {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ validationResponse: code }),
    };
  }
  if (eventType === "unsubscribe") return { status: 202 };
  if (eventType !== "notification" && !(eventType === undefined && isCloudEventsContent)) return { status: 400 };

  const events = eventsOf(parseJson(request.body));
  if (events === undefined) return text(400, "the request body must be a JSON event object or an array of them");
  const results = await Promise.allSettled(
    events.map((event) =>
      invoker.invokeRpc(target.name, { string: JSON.stringify(event) }, { triggerMetadata: triggerMetadata(event) }),
    ),
  );
  const failure = results.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    const reason: unknown = failure.reason;
    return text(500, reason instanceof Error ? reason.message : String(reason));
  }
  return { status: 202 };
}

function validationCode(payload: unknown): string | undefined {
  const event = Array.isArray(payload) ? (payload[0] as unknown) : payload;
  if (!isRecord(event)) return undefined;
  // CloudEvents-schema validation events carry their data double-encoded.
  const data = typeof event.data === "string" ? parseJsonText(event.data) : event.data;
  if (!isRecord(data)) return undefined;
  const code = data.validationCode;
  return typeof code === "string" && code !== "" ? code : undefined;
}

function eventsOf(payload: unknown): Record<string, unknown>[] | undefined {
  const events: unknown[] = Array.isArray(payload) ? payload : [payload];
  if (events.length === 0 || !events.every(isRecord)) return undefined;
  return events;
}

/** The event's top-level properties as binding data, as the extension exposes them. */
function triggerMetadata(event: Record<string, unknown>): Record<string, RpcTypedData> {
  const metadata: Record<string, RpcTypedData> = {};
  for (const [name, value] of Object.entries(event)) {
    const data = toTypedData(value);
    if (data !== undefined) metadata[name] = data;
  }
  return metadata;
}

function parseJson(body: Buffer): unknown {
  return parseJsonText(body.toString("utf8"));
}

/**
 * The extension reads the body with a JSON reader whose MaxDepth is 64 (System.Text.Json's and Json.NET 13's default;
 * which one the extension uses is a guess, both refuse deeper input): deeper bodies are not events.
 */
export const MAX_EVENT_JSON_DEPTH = 64;

function parseJsonText(textValue: string): unknown {
  if (jsonDepth(textValue) > MAX_EVENT_JSON_DEPTH) return undefined;
  try {
    return JSON.parse(textValue) as unknown;
  } catch {
    return undefined;
  }
}

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count). */
export function jsonDepth(textValue: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < textValue.length; i++) {
    const c = textValue[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") deepest = Math.max(deepest, ++depth);
    else if (c === "]" || c === "}") depth--;
  }
  return deepest;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function text(status: number, body: string): HostHttpResponse {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
