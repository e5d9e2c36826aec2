// The fuzz arbitrary of every trigger that takes input from outside (queue and Event Grid triggers), keyed by function
// name, and how each input reaches the app: a queue message through the host's invoker as the queue listener hands it
// over (text and trigger metadata), an Event Grid delivery through the host's Event Grid webhook.
import fc from "fast-check";
import { SANDBOX_GATEWAY_ID } from "../../../dev/sandbox/sandbox";
import type { RpcTypedData } from "../../../dev/host/rpc";
import { GRAPH_EVENT_TYPES, GRAPH_REAUTHORIZATION_EVENT } from "../../../src/domain/entra-notifications";
import { RESOURCE_WRITE_SUCCESS } from "../../../src/domain/gateway-event";
import { bodyBytes, bodySpec, CLIENT_STATE_MARK, headerSafe, jsonText, send } from "./edge-request";
import type { BodySpec, EdgeAnswer, EdgeKit } from "./edge-request";
import { hostileId, hostileString, hostileTime, hostileUpn, plausibleUpn } from "./hostile-text";
import type { TestSandbox } from "../sandbox";

export type TriggerInput =
  | { readonly kind: "queue"; readonly fn: string; readonly bytes: Uint8Array; readonly dequeueCount: number }
  | {
      readonly kind: "eventGrid";
      readonly fn: string;
      readonly eventType: string | undefined;
      readonly contentType: string;
      readonly body: BodySpec;
    };

export type TriggerOutcome =
  | { readonly ok: true; readonly status?: number }
  | { readonly ok: false; readonly error: string; readonly status?: number };

const anything = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<unknown>;
/** Each field as expected now and then, else anything; fields missing at random. */
function loose(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [
        k,
        fc.oneof({ weight: 5, arbitrary: v }, { weight: 1, arbitrary: anything }),
      ]),
    ),
    { requiredKeys: [] },
  );
}

const hrEvent = (nowMs: number) =>
  loose({
    eventId: hostileId,
    type: fc.oneof(
      fc.constantFrom("hire", "termination", "termination-rescinded", "rehire", "Hire", "fire"),
      hostileString,
    ),
    upn: fc.oneof(plausibleUpn, hostileUpn),
    effectiveAt: hostileTime(nowMs),
    occurredAt: hostileTime(nowMs),
  });

const cloudEvent = loose({
  specversion: fc.constantFrom("1.0", "1.0", "0.3", "2"),
  id: hostileId,
  source: fc.oneof(fc.constant("/tenants/x/applications/y"), hostileString),
  type: fc.oneof(
    fc.constantFrom(...GRAPH_EVENT_TYPES, GRAPH_REAUTHORIZATION_EVENT, "Microsoft.Storage.BlobCreated"),
    hostileString,
  ),
  time: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  datacontenttype: fc.constantFrom("application/json", "text/plain"),
  data: fc.oneof(
    loose({
      changeType: fc.constantFrom("created", "updated", "deleted"),
      subscriptionId: fc.uuid(),
      resource: fc.oneof(
        fc.uuid().map((id) => `Users/${id}`),
        fc.uuid().map((id) => `Groups/${id}`),
        hostileString,
      ),
      resourceData: loose({ id: fc.oneof(fc.uuid(), hostileString) }),
      clientState: fc.oneof(fc.constant(CLIENT_STATE_MARK), hostileString),
    }),
    hostileString,
    anything,
  ),
});

const gatewayEvent = loose({
  id: hostileId,
  topic: hostileString,
  subject: fc.oneof(
    fc.constantFrom(SANDBOX_GATEWAY_ID, `${SANDBOX_GATEWAY_ID}/`, SANDBOX_GATEWAY_ID.toUpperCase()),
    hostileString,
  ),
  eventType: fc.oneof(
    fc.constantFrom(RESOURCE_WRITE_SUCCESS, "Microsoft.Resources.ResourceDeleteSuccess"),
    hostileString,
  ),
  eventTime: fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    hostileString,
  ),
  dataVersion: fc.oneof(fc.constant("2"), hostileString),
  metadataVersion: fc.constant("1"),
  data: fc.oneof(
    loose({
      resourceUri: fc.oneof(fc.constantFrom(SANDBOX_GATEWAY_ID, `${SANDBOX_GATEWAY_ID}/natRules/x`), hostileString),
      status: fc.oneof(fc.constantFrom("Succeeded", "Failed", "succeeded"), hostileString),
      operationName: fc.constantFrom("Microsoft.Network/virtualNetworkGateways/write", "x"),
    }),
    anything,
  ),
});

function eventGrid(fn: string, event: fc.Arbitrary<unknown>, cloudEvents: boolean): fc.Arbitrary<TriggerInput> {
  return fc.record({
    kind: fc.constant("eventGrid" as const),
    fn: fc.constant(fn),
    eventType: fc.oneof(
      { weight: 8, arbitrary: fc.constant<string | undefined>(cloudEvents ? undefined : "Notification") },
      {
        weight: 1,
        arbitrary: fc.constantFrom<string | undefined>(
          "Notification",
          "SubscriptionValidation",
          "Unsubscribe",
          "notification",
          undefined,
        ),
      },
      { weight: 1, arbitrary: hostileString },
    ),
    contentType: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constant(cloudEvents ? "application/cloudevents+json; charset=utf-8" : "application/json"),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom("application/cloudevents-batch+json", "application/json", "text/plain", ""),
      },
    ),
    body: bodySpec(
      fc.oneof(
        { weight: 3, arbitrary: event },
        { weight: 2, arbitrary: fc.array(event, { minLength: 1, maxLength: 3 }) },
      ),
    ),
  });
}

/** The bytes a Storage queue message carries at most, base64-encoded into its 64 KiB. */
const MAX_MESSAGE_BYTES = 48 * 1024;
const utf8 = (text: string): Uint8Array => Buffer.from(text, "utf8").subarray(0, MAX_MESSAGE_BYTES);

/** How many events an Event Grid delivery carries (the host invokes the function once per event). */
export function eventCount(input: TriggerInput): number {
  if (input.kind === "queue") return 1;
  const body = input.body;
  const text = body.kind === "json" ? jsonText(body.value) : body.kind === "text" ? body.text : "";
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.length : 1;
  } catch {
    return 1;
  }
}

export type EdgeTriggerArbitraries = Readonly<Record<string, (nowMs: number) => fc.Arbitrary<TriggerInput>>>;

export const EDGE_TRIGGERS: EdgeTriggerArbitraries = {
  hrEvents: (nowMs) =>
    fc.record({
      kind: fc.constant("queue" as const),
      fn: fc.constant("hrEvents"),
      // What a queue message can hold: at most 48 KiB of bytes (64 KiB of base64), UTF-8 or not.
      bytes: fc.oneof(
        { weight: 5, arbitrary: hrEvent(nowMs).map((e) => utf8(JSON.stringify(e))) },
        { weight: 1, arbitrary: fc.array(hrEvent(nowMs), { maxLength: 2 }).map((e) => utf8(JSON.stringify(e))) },
        { weight: 2, arbitrary: hostileString.map(utf8) },
        { weight: 1, arbitrary: anything.map((v) => utf8(jsonText(v))) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.integer({ min: 1, max: MAX_MESSAGE_BYTES }), fc.integer({ min: 0x80, max: 0xff }))
            .map(([n, byte]) => new Uint8Array(n).fill(byte)),
        },
      ),
      dequeueCount: fc.constantFrom(1, 1, 2, 5, 6),
    }),
  entraEvents: () => eventGrid("entraEvents", cloudEvent, true),
  gatewayEvents: () => eventGrid("gatewayEvents", gatewayEvent, false),
};

/**
 * Delivers one input the way the host does. An invocation that throws (the queue listener would retry it, the Event
 * Grid webhook answers 500) is a failure: a hostile input must be refused, not crash the function.
 */
export async function deliverTrigger(input: TriggerInput, sandbox: TestSandbox, kit: EdgeKit): Promise<TriggerOutcome> {
  if (input.kind === "queue") {
    // As the queue listener decodes it (host.json messageEncoding base64, then UTF-8).
    const text = Buffer.from(input.bytes).toString("utf8");
    const now = new Date();
    const metadata: Record<string, RpcTypedData> = {
      QueueTrigger: { string: text },
      DequeueCount: { int: input.dequeueCount },
      Id: { string: `fuzz-${now.getTime()}` },
      PopReceipt: { string: "fuzz" },
      InsertionTime: { json: JSON.stringify(now.toISOString()) },
      ExpirationTime: { json: JSON.stringify(new Date(now.getTime() + 7 * 86_400_000).toISOString()) },
      NextVisibleTime: { json: JSON.stringify(now.toISOString()) },
    };
    try {
      await sandbox.host.invoker.invokeRpc(input.fn, { string: text }, { triggerMetadata: metadata });
      return { ok: true };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
  const headers: [string, string][] = [["x-functions-key", kit.eventGridKey]];
  if (input.eventType !== undefined) headers.push(["aeg-event-type", headerSafe(input.eventType)]);
  if (input.contentType !== "") headers.push(["content-type", input.contentType]);
  const body = bodyBytes(input.body, kit);
  if (body !== undefined) headers.push(["content-length", String(body.length)]);
  const url = `${kit.host}/runtime/webhooks/eventgrid?functionName=${input.fn}`;
  const answer: EdgeAnswer = await send("POST", url, headers, body);
  return answer.status >= 500
    ? { ok: false, status: answer.status, error: answer.text.slice(0, 300) }
    : { ok: true, status: answer.status };
}
