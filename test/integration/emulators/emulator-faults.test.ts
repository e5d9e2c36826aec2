// Fault injection per operation, in-process and over the /_emulator/faults control endpoints: status and code,
// Retry-After, latency (on a virtual clock), seeded probability, count-limited rules, and the SDK's reaction.
import { createEmulatorCa, createVirtualClock } from "../../../dev/emulators/framework";
import type { EmulatorCa, FaultRule, VirtualClock } from "../../../dev/emulators/framework";
import { startWidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import type { WidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import { httpsRequest, RecordingCredential, sdkClient } from "../../support/emulator-clients";
import type { HttpsRequestOptions } from "../../support/emulator-clients";

describe("emulator fault injection", () => {
  let ca: EmulatorCa;
  let clock: VirtualClock;
  let widgets: WidgetsEmulator;
  const call = (path: string, options: HttpsRequestOptions = {}) =>
    httpsRequest(`${widgets.url}${path}`, { ca: ca.certPem, token: "t", ...options });
  const control = (path: string, options: HttpsRequestOptions = {}) =>
    httpsRequest(`${widgets.url}${path}`, { ca: ca.certPem, ...options });

  beforeAll(async () => {
    ca = await createEmulatorCa();
    clock = createVirtualClock();
    widgets = await startWidgetsEmulator({ ca, auth: { mode: "required" }, clock, randomSeed: 7 });
    await call("/widgets/w1?api-version=1", { method: "PUT", body: { color: "red" } });
  });

  afterAll(async () => {
    await widgets.stop();
  });

  beforeEach(() => {
    widgets.faults.clear();
    widgets.stats.reset();
  });

  it("answers an injected status and code with Retry-After, without running the handler", async () => {
    widgets.faults.add({ operation: "widgets.get", status: 503, code: "ServiceUnavailable", retryAfterSeconds: 7 });
    const response = await call("/widgets/w1?api-version=1");
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("7");
    expect(response.json).toEqual({ error: { code: "ServiceUnavailable", message: expect.any(String) as string } });
    expect((await call("/widgets?api-version=1")).status).toBe(200);
    expect(widgets.stats.operation("widgets.get")).toMatchObject({ count: 1, faulted: 1, handled: 0 });
  });

  it("removes a count-limited rule after its last hit", async () => {
    const rule = widgets.faults.add({ operation: "widgets.get", status: 500, code: "InternalError", count: 2 });
    expect(rule).toMatchObject({ count: 2, remaining: 2, id: expect.any(String) as string });
    expect((await call("/widgets/w1?api-version=1")).status).toBe(500);
    expect(widgets.faults.list()).toEqual([expect.objectContaining({ id: rule.id, remaining: 1 })]);
    expect((await call("/widgets/w1?api-version=1")).status).toBe(500);
    expect(widgets.faults.list()).toEqual([]);
    expect((await call("/widgets/w1?api-version=1")).status).toBe(200);
    expect(widgets.stats.operation("widgets.get").byStatus).toEqual({ "500": 2, "200": 1 });
  });

  it("lets the SDK retry transient faults that carry Retry-After", async () => {
    widgets.faults.add({
      operation: "widgets.get",
      status: 503,
      code: "ServiceUnavailable",
      retryAfterSeconds: 0,
      count: 2,
    });
    const send = sdkClient({ ca: ca.certPem, credential: new RecordingCredential(), auth: "bearer" });
    const response = await send("GET", `${widgets.url}/widgets/w1?api-version=1`);
    expect(response.status).toBe(200);
    expect(widgets.stats.operation("widgets.get")).toMatchObject({ count: 3, byStatus: { "503": 2, "200": 1 } });
  });

  it("delays latency-only rules and then runs the handler; latency and status combine", async () => {
    const before = clock.now();
    widgets.faults.add({ operation: "widgets.get", latencyMs: 1500 });
    const slow = await call("/widgets/w1?api-version=1");
    expect(slow.status).toBe(200);
    expect(clock.now() - before).toBe(1500);
    expect(widgets.stats.operation("widgets.get")).toMatchObject({
      handled: 1,
      totalLatencyMs: 1500,
      avgLatencyMs: 1500,
    });

    widgets.faults.add({ operation: "widgets.get", latencyMs: 500, status: 504, code: "GatewayTimeout" });
    const timedOut = await call("/widgets/w1?api-version=1");
    expect(timedOut.status).toBe(504);
    expect(widgets.stats.operation("widgets.get")).toMatchObject({ count: 2, faulted: 1, totalLatencyMs: 3500 });
  });

  it("resets the connection with no answer, before the handler or after its change is made", async () => {
    widgets.faults.add({ operation: "widgets.put", reset: "before", count: 1 });
    await expect(call("/widgets/w7?api-version=1", { method: "PUT", body: { color: "blue" } })).rejects.toThrow(
      /ECONNRESET|socket hang up/,
    );
    expect((await call("/widgets/w7?api-version=1")).status).toBe(404);

    widgets.faults.add({ operation: "widgets.put", reset: "after", count: 1 });
    await expect(call("/widgets/w7?api-version=1", { method: "PUT", body: { color: "green" } })).rejects.toThrow(
      /ECONNRESET|socket hang up/,
    );
    expect((await call("/widgets/w7?api-version=1")).json).toMatchObject({ color: "green" });
    expect(widgets.stats.operation("widgets.put")).toMatchObject({
      count: 2,
      byStatus: { reset: 2 },
      faulted: 1,
      handled: 1,
    });
    expect(() => widgets.faults.add({ operation: "widgets.get", status: 500, reset: "before" })).toThrow(/not both/);
  });

  it("lets the SDK retry a connection reset", async () => {
    widgets.faults.add({ operation: "widgets.get", reset: "before", count: 1 });
    const send = sdkClient({ ca: ca.certPem, credential: new RecordingCredential(), auth: "bearer" });
    expect((await send("GET", `${widgets.url}/widgets/w1?api-version=1`)).status).toBe(200);
    expect(widgets.stats.operation("widgets.get").byStatus).toEqual({ reset: 1, "200": 1 });
  });

  it("hits a seeded share of requests, repeatably, and never at probability 0", async () => {
    const pattern = async (): Promise<number[]> => {
      widgets.faults.clear();
      widgets.faults.add({ operation: "widgets.get", status: 500, probability: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await call("/widgets/w1?api-version=1")).status);
      return statuses;
    };
    const first = await pattern();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await pattern()).toEqual(first);

    widgets.faults.clear();
    widgets.faults.add({ operation: "widgets.get", status: 500, probability: 0 });
    for (let i = 0; i < 5; i++) expect((await call("/widgets/w1?api-version=1")).status).toBe(200);
  });

  it("selects operations by exact name, group and wildcard", async () => {
    widgets.faults.add({ operation: "widgets.*", status: 409, code: "Conflict", count: 1 });
    expect((await call("/widgets?api-version=1")).status).toBe(409);
    widgets.faults.add({ operation: "*", status: 429, code: "TooManyRequests", count: 1 });
    expect((await call("/widgets/w1?api-version=1", { method: "DELETE" })).status).toBe(429);
    widgets.faults.add({ operation: "widgets.put", status: 400, count: 1 });
    expect((await call("/widgets?api-version=1")).status).toBe(200);
    expect(widgets.faults.list()).toHaveLength(1);
  });

  it("rejects invalid rules in-process", () => {
    expect(() => widgets.faults.add({ operation: "widgets.get" })).toThrow(/status, a latencyMs/);
    expect(() => widgets.faults.add({ operation: "widgets.get", status: 200 })).toThrow();
    expect(() => widgets.faults.add({ operation: "widgets.get", status: 500, probability: 2 })).toThrow();
    expect(() => widgets.faults.add({ operation: "widgets.get", latencyMs: 5, code: "X" })).toThrow(/need a status/);
  });

  it("is controlled over HTTP without a token, and control calls are not counted", async () => {
    const added = await control("/_emulator/faults", {
      method: "POST",
      body: { operation: "widgets.get", status: 503, code: "Busy", retryAfterSeconds: 3 },
    });
    expect(added.status).toBe(201);
    const rule = added.json as FaultRule;
    expect(rule).toMatchObject({ operation: "widgets.get", status: 503, id: expect.any(String) as string });
    expect((await control("/_emulator/faults")).json).toEqual({ value: [rule] });
    expect(widgets.faults.list()).toEqual([rule]);

    const faulted = await call("/widgets/w1?api-version=1");
    expect(faulted.status).toBe(503);
    expect(faulted.headers["retry-after"]).toBe("3");
    expect(faulted.json).toMatchObject({ error: { code: "Busy" } });

    expect((await control(`/_emulator/faults/${rule.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await control(`/_emulator/faults/${rule.id}`, { method: "DELETE" })).status).toBe(404);
    await control("/_emulator/faults", { method: "POST", body: { operation: "*", latencyMs: 10 } });
    expect((await control("/_emulator/faults", { method: "DELETE" })).status).toBe(204);
    expect(widgets.faults.list()).toEqual([]);

    const invalid = await control("/_emulator/faults", { method: "POST", body: { operation: "x", status: 99 } });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ error: { code: "InvalidFaultRule" } });
    expect(Object.keys(widgets.stats.get())).toEqual(["widgets.get"]);
  });

  it("never spends a fault on Key Vault's unauthenticated challenge probe", async () => {
    const kv = await startWidgetsEmulator({ ca, auth: { mode: "challenge", resource: "https://vault.azure.net" } });
    try {
      kv.faults.add({ operation: "widgets.put", status: 409, code: "Conflict", count: 1 });
      const send = sdkClient({ ca: ca.certPem, credential: new RecordingCredential(), auth: "challenge" });
      const response = await send("PUT", `${kv.url}/widgets/w9?api-version=7.5`, { color: "red" });
      expect(response.status).toBe(409);
      expect(kv.stats.operation("widgets.put")).toMatchObject({ byStatus: { "401": 1, "409": 1 }, handled: 0 });
      expect((await send("PUT", `${kv.url}/widgets/w9?api-version=7.5`, { color: "red" })).status).toBe(201);
    } finally {
      await kv.stop();
    }
  });
});
