// Non-HTTP triggers on the dev host: the admin API, Event Grid webhook deliveries and timers on a virtual clock.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { createVirtualClock } from "../../../dev/host/clock";
import { startHost } from "../../../dev/host/host";
import type { DevHost } from "../../../dev/host/host";
import { received, receivedBy } from "../../fixtures/host-app/trigger-app";
import { idle } from "../../support/wait";

const START = Date.UTC(2030, 0, 1, 0, 0, 0);
const clock = createVirtualClock(START);
const lines: string[] = [];
let host: DevHost;

beforeAll(async () => {
  host = await startHost({
    appEntry: () => import("../../fixtures/host-app/trigger-app"),
    port: 0,
    clock,
    log: (line) => lines.push(line),
  });
});

afterAll(() => host.stop());

beforeEach(() => {
  received.length = 0;
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${host.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("admin API", () => {
  const asMaster = (): Record<string, string> => ({ "x-functions-key": host.keys.masterKey });

  it("runs a non-HTTP function with the input string and answers 202", async () => {
    const response = await post("/admin/functions/queueWork", { input: '{"job":1}' }, asMaster());
    expect(response.status).toBe(202);
    await idle(host);
    const plain = await post("/admin/functions/QUEUEWORK", { input: "just text" }, asMaster());
    expect(plain.status).toBe(202);
    await idle(host);
    expect(receivedBy("queueWork").map((entry) => entry.value)).toEqual([{ job: 1 }, "just text"]);
  });

  it("passes a timer object to a timer function, ignoring the input", async () => {
    const response = await post("/admin/functions/everyFiveMinutes", { input: "ignored" }, asMaster());
    expect(response.status).toBe(202);
    await idle(host);
    const [timer] = receivedBy("everyFiveMinutes");
    expect(timer?.value).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
  });

  it("requires the master key", async () => {
    expect((await post("/admin/functions/queueWork", { input: "x" })).status).toBe(401);
    const withFunctionKey = await post(
      "/admin/functions/queueWork",
      { input: "x" },
      { "x-functions-key": host.keys.functionKey },
    );
    expect(withFunctionKey.status).toBe(401);
    const byCode = await post(`/admin/functions/queueWork?code=${encodeURIComponent(host.keys.masterKey)}`, {});
    expect(byCode.status).toBe(202);
  });

  it("answers 404 for an unknown function and 400 for an HTTP function or a bad body", async () => {
    expect((await post("/admin/functions/nothing", { input: "x" }, asMaster())).status).toBe(404);
    expect((await post("/admin/functions/plainHttp", { input: "x" }, asMaster())).status).toBe(400);
    expect((await post("/admin/functions/queueWork", "{not json", asMaster())).status).toBe(400);
    expect((await post("/admin/functions/queueWork", { input: 5 }, asMaster())).status).toBe(400);
  });
});

describe("Event Grid webhook", () => {
  const webhook = (functionName = "gridEvents"): string =>
    `/runtime/webhooks/eventgrid?functionName=${functionName}&code=${encodeURIComponent(host.keys.eventGridKey)}`;
  const gridEvent = (id: string, subject: string): Record<string, unknown> => ({
    id,
    topic: "/subscriptions/x/resourceGroups/rg",
    subject,
    eventType: "Microsoft.Resources.ResourceWriteSuccess",
    eventTime: "2030-01-01T00:00:00Z",
    data: { resourceUri: `/subscriptions/x/${subject}` },
    dataVersion: "1",
    metadataVersion: "1",
  });
  const cloudEvent = (id: string, subject: string): Record<string, unknown> => ({
    specversion: "1.0",
    id,
    source: "/tenants/t/applications/a",
    type: "Microsoft.Graph.UserUpdated",
    subject,
    time: "2030-01-01T00:00:00Z",
    data: { resourceData: { id: subject } },
  });

  it("answers the subscription validation handshake without invoking the function", async () => {
    const validation = [
      {
        id: "v1",
        eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
        subject: "",
        data: { validationCode: "code-123", validationUrl: "https://example.invalid/validate" },
      },
    ];
    const response = await post(webhook(), validation, { "aeg-event-type": "SubscriptionValidation" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: "code-123" });
    expect(receivedBy("gridEvents")).toEqual([]);
  });

  it("invokes the function once per Event Grid event and answers 202", async () => {
    const response = await post(webhook(), [gridEvent("e1", "vm-1"), gridEvent("e2", "vm-2")], {
      "aeg-event-type": "Notification",
    });
    expect(response.status).toBe(202);
    const deliveries = receivedBy("gridEvents");
    expect(deliveries.map((entry) => (entry.value as { subject: string }).subject).sort()).toEqual(["vm-1", "vm-2"]);
    expect(deliveries[0]?.value).toMatchObject({ eventType: "Microsoft.Resources.ResourceWriteSuccess" });
    expect(deliveries[0]?.triggerMetadata).toMatchObject({ eventType: "Microsoft.Resources.ResourceWriteSuccess" });
  });

  it("delivers CloudEvents, single and batched", async () => {
    const single = await post(webhook(), cloudEvent("c1", "user-1"), {
      "aeg-event-type": "Notification",
      "content-type": "application/cloudevents+json; charset=utf-8",
    });
    expect(single.status).toBe(202);
    const batch = await post(webhook(), [cloudEvent("c2", "user-2"), cloudEvent("c3", "user-3")], {
      "content-type": "application/cloudevents-batch+json; charset=utf-8",
    });
    expect(batch.status).toBe(202);
    const values = receivedBy("gridEvents").map((entry) => entry.value as { id: string; specversion: string });
    expect(values.map((value) => value.id).sort()).toEqual(["c1", "c2", "c3"]);
    expect(values.every((value) => value.specversion === "1.0")).toBe(true);
  });

  it("answers the CloudEvents abuse-protection handshake", async () => {
    const response = await fetch(`${host.url}${webhook()}`, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
  });

  it("requires the Event Grid system key or the master key", async () => {
    const events = [gridEvent("k1", "keyed")];
    const headers = { "aeg-event-type": "Notification" };
    const base = "/runtime/webhooks/eventgrid?functionName=gridEvents";
    expect((await post(base, events, headers)).status).toBe(401);
    const functionKey = await post(`${base}&code=${encodeURIComponent(host.keys.functionKey)}`, events, headers);
    expect(functionKey.status).toBe(401);
    const master = await post(base, events, { ...headers, "x-functions-key": host.keys.masterKey });
    expect(master.status).toBe(202);
    const handshake = await fetch(`${host.url}${base}`, { method: "OPTIONS" });
    expect(handshake.status).toBe(401);
    expect(receivedBy("gridEvents")).toHaveLength(1);
  });

  it("answers 404 for an unknown or non-Event Grid function and 400 for a bad body", async () => {
    const headers = { "aeg-event-type": "Notification" };
    expect((await post(webhook("missing"), [gridEvent("x", "y")], headers)).status).toBe(404);
    expect((await post(webhook("plainHttp"), [gridEvent("x", "y")], headers)).status).toBe(404);
    expect((await post(webhook(), "not json", headers)).status).toBe(400);
    expect((await post(webhook(), [1, 2], headers)).status).toBe(400);
    expect((await post(webhook(), [gridEvent("x", "y")], {})).status).toBe(400);
    expect(receivedBy("gridEvents")).toEqual([]);
  });

  it("answers 400 for a body nested deeper than the extension's JSON reader takes (64), invoking nothing", async () => {
    const headers = { "aeg-event-type": "Notification", "content-type": "application/json" };
    const deep = (depth: number): string =>
      `[${JSON.stringify({ ...gridEvent("d1", "deep"), data: {} }).slice(0, -1)},"x":${"[".repeat(depth)}${"]".repeat(depth)}}]`;
    const nested = await fetch(`${host.url}${webhook()}`, { method: "POST", headers, body: deep(6000) });
    expect(nested.status).toBe(400);
    expect(receivedBy("gridEvents")).toEqual([]);
    const withinLimit = await fetch(`${host.url}${webhook()}`, { method: "POST", headers, body: deep(60) });
    expect(withinLimit.status).toBe(202);
  });

  it("answers 500 with the failure's message when an invocation fails", async () => {
    const response = await post(webhook(), [gridEvent("f1", "fine"), gridEvent("f2", "fail")], {
      "aeg-event-type": "Notification",
    });
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("subject says fail");
  });
});

describe("timers on a virtual clock", () => {
  it("runs a runOnStartup timer without waiting for its schedule", async () => {
    await clock.advance(0);
    expect(clock.now()).toBe(START);
    // It may have run before this test cleared the record; its log line is the lasting trace.
    expect(lines).toContainEqual(expect.stringMatching(/^Executed 'Functions\.atStartup' \(Succeeded/));
  });

  it("fires on schedule with the timer object the host passes", async () => {
    await clock.advance(10 * 60 * 1000);
    const timers = receivedBy("everyFiveMinutes").map((entry) => entry.value);
    expect(timers).toEqual([
      {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: {
          last: "2030-01-01T00:05:00.000Z",
          next: "2030-01-01T00:10:00.000Z",
          lastUpdated: "2030-01-01T00:05:00.000Z",
        },
      },
      {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: {
          last: "2030-01-01T00:10:00.000Z",
          next: "2030-01-01T00:15:00.000Z",
          lastUpdated: "2030-01-01T00:10:00.000Z",
        },
      },
    ]);
  });

  it("retries a failing timer with its fixed delay, then resumes its schedule", async () => {
    const retryCounts = (): (number | undefined)[] => receivedBy("flaky").map((entry) => entry.retryCount);
    await clock.advanceTo(Date.UTC(2030, 0, 1, 0, 30, 39));
    expect(retryCounts()).toEqual([0]);
    await clock.advanceTo(Date.UTC(2030, 0, 1, 0, 30, 49));
    expect(retryCounts()).toEqual([0, 1]);
    await clock.advanceTo(Date.UTC(2030, 0, 1, 0, 31, 0));
    expect(retryCounts()).toEqual([0, 1, 2]);
    expect(lines.filter((line) => line.startsWith("Executed 'Functions.flaky' (Failed"))).toHaveLength(2);
    expect(lines).toContain("Timer 'flaky': retry 2 in 10000 ms after: not yet");
    // Retries re-run the same trigger data, as the host does.
    const lasts = receivedBy("flaky").map(
      (entry) => (entry.value as { scheduleStatus: { last: string } }).scheduleStatus,
    );
    expect(lasts.map((status) => status.last)).toEqual(Array(3).fill("2030-01-01T00:30:30.000Z"));

    received.length = 0;
    await clock.advanceTo(Date.UTC(2030, 0, 1, 1, 31, 0));
    expect(retryCounts()).toEqual([0]);
  });
});
