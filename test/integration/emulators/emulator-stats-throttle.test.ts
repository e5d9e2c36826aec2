// Per-operation statistics (in-process and over /_emulator/stats) and sliding-window throttles answering 429 with
// Retry-After, on a virtual clock so no test waits for a window to pass.
import { createEmulatorCa, createVirtualClock } from "../../../dev/emulators/framework";
import type { EmulatorCa, OperationStats, VirtualClock } from "../../../dev/emulators/framework";
import { startWidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import type { WidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import { httpsRequest, RecordingCredential, sdkClient } from "../../support/emulator-clients";
import type { HttpsRequestOptions } from "../../support/emulator-clients";

const WRITES = { name: "widget writes", operations: ["widgets.put", "widgets.delete"], limit: 2, windowMs: 10_000 };

describe("emulator statistics and throttling", () => {
  let ca: EmulatorCa;
  let clock: VirtualClock;
  let widgets: WidgetsEmulator;
  const call = (path: string, options: HttpsRequestOptions = {}) =>
    httpsRequest(`${widgets.url}${path}`, { ca: ca.certPem, token: "t", ...options });
  const put = (name: string) => call(`/widgets/${name}?api-version=1`, { method: "PUT", body: { color: "red" } });

  beforeAll(async () => {
    ca = await createEmulatorCa();
    clock = createVirtualClock();
    widgets = await startWidgetsEmulator({ ca, auth: { mode: "required" }, clock, throttles: [WRITES] });
  });

  afterAll(async () => {
    await widgets.stop();
  });

  beforeEach(() => {
    widgets.throttles.configure([WRITES]);
    widgets.stats.reset();
  });

  it("counts requests per operation and status, in-process and over HTTP", async () => {
    await put("s1");
    await call("/widgets/s1?api-version=1");
    await call("/widgets/missing?api-version=1");
    await httpsRequest(`${widgets.url}/widgets/s1?api-version=1`, { ca: ca.certPem }); // no token

    const expected: Record<string, Partial<OperationStats>> = {
      "widgets.get": { count: 3, byStatus: { "200": 1, "404": 1, "401": 1 }, handled: 2, unauthenticated: 1 },
      "widgets.put": { count: 1, byStatus: { "201": 1 }, handled: 1 },
    };
    expect(widgets.stats.get()).toMatchObject(expected);
    expect(widgets.stats.operation("widgets.list").count).toBe(0);

    const overHttp = await httpsRequest(`${widgets.url}/_emulator/stats`, { ca: ca.certPem });
    expect(overHttp.status).toBe(200);
    expect(overHttp.json).toEqual({ operations: widgets.stats.get() });

    expect((await httpsRequest(`${widgets.url}/_emulator/stats`, { ca: ca.certPem, method: "DELETE" })).status).toBe(
      204,
    );
    expect(widgets.stats.get()).toEqual({});
  });

  it("answers 429 with Retry-After once a shared window is full, and admits again when it slides", async () => {
    expect((await put("t1")).status).toBe(201);
    clock.advance(4_000);
    expect((await put("t2")).status).toBe(201);

    const throttled = await call("/widgets/t1?api-version=1", { method: "DELETE" });
    expect(throttled.status).toBe(429);
    expect(throttled.headers["retry-after"]).toBe("6");
    expect(throttled.json).toEqual({ error: { code: "Throttled", message: expect.any(String) as string } });
    expect((await call("/widgets/t1?api-version=1")).status).toBe(200); // reads have no budget here

    clock.advance(5_500);
    const stillThrottled = await put("t3");
    expect(stillThrottled.status).toBe(429);
    expect(stillThrottled.headers["retry-after"]).toBe("1");
    clock.advance(500);
    expect((await put("t3")).status).toBe(201);
    expect((await put("t4")).status).toBe(429);

    expect(widgets.stats.operation("widgets.put")).toMatchObject({
      count: 5,
      byStatus: { "201": 3, "429": 2 },
      throttled: 2,
      handled: 3,
    });
    expect(widgets.stats.operation("widgets.delete")).toMatchObject({ byStatus: { "429": 1 }, throttled: 1 });
  });

  it("surfaces throttling to the SDK as 429 once its retries are spent", async () => {
    widgets.throttles.configure([{ ...WRITES, limit: 1, code: "TooManyRequests" }]);
    const send = sdkClient({ ca: ca.certPem, credential: new RecordingCredential(), auth: "bearer", maxRetries: 0 });
    expect((await send("PUT", `${widgets.url}/widgets/u1?api-version=1`, { color: "red" })).status).toBe(201);
    const response = await send("PUT", `${widgets.url}/widgets/u2?api-version=1`, { color: "red" });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("10");
    expect(response.json).toMatchObject({ error: { code: "TooManyRequests" } });
  });

  it("answers a bare 429 (no Retry-After) for a rule that says so, as Key Vault does", async () => {
    widgets.throttles.configure([{ ...WRITES, limit: 1, retryAfter: false }]);
    expect((await put("b1")).status).toBe(201);
    const bare = await put("b2");
    expect(bare.status).toBe(429);
    expect(bare.headers["retry-after"]).toBeUndefined();
    expect(bare.json).toEqual({ error: { code: "Throttled", message: expect.any(String) as string } });
  });

  it("can be reconfigured, reset and listed at run time", async () => {
    widgets.throttles.configure([{ ...WRITES, limit: 1 }]);
    expect(widgets.throttles.list()).toEqual([{ ...WRITES, limit: 1 }]);
    expect((await put("v1")).status).toBe(201);
    expect((await put("v2")).status).toBe(429);
    widgets.throttles.reset();
    expect((await put("v2")).status).toBe(201);
    widgets.throttles.configure([]);
    for (let i = 0; i < 4; i++) expect((await put(`w${i}`)).status).toBe(201);
    expect(() => {
      widgets.throttles.configure([{ ...WRITES, limit: 0 }]);
    }).toThrow(/limit/);
  });
});
