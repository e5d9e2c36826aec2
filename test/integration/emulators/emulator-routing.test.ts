// Routing and request handling: case-insensitive paths, typed parameters, api-version, JSON bodies, Azure error
// shapes for unknown paths, wrong methods and handler errors.
import { createEmulatorCa, jsonResponse, route, startEmulator } from "../../../dev/emulators/framework";
import type { Emulator, EmulatorCa, EmulatorRequest } from "../../../dev/emulators/framework";
import { startWidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import type { WidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import { httpsRequest } from "../../support/emulator-clients";
import type { HttpsRequestOptions } from "../../support/emulator-clients";

describe("emulator routing", () => {
  let ca: EmulatorCa;
  let widgets: WidgetsEmulator;
  const call = (path: string, options: HttpsRequestOptions = {}) =>
    httpsRequest(`${widgets.url}${path}`, { ca: ca.certPem, token: "t", ...options });

  beforeAll(async () => {
    ca = await createEmulatorCa();
    widgets = await startWidgetsEmulator({ ca, auth: { mode: "required" } });
  });

  afterAll(async () => {
    await widgets.stop();
  });

  it("matches paths case-insensitively and keeps parameter values as sent", async () => {
    const put = await call("/widgets/MixedCase?api-version=1", { method: "PUT", body: { color: "red" } });
    expect(put.status).toBe(201);
    expect(put.json).toMatchObject({ name: "MixedCase", id: `${widgets.url}/widgets/MixedCase` });
    expect((await call("/WIDGETS/mixedcase?api-version=1")).json).toMatchObject({ color: "red" });
    expect((await call("/Widgets/MIXEDCASE/?api-version=1")).status).toBe(200);
    expect(
      (await call("/widgets/with%20space?api-version=1", { method: "PUT", body: { color: "x" } })).json,
    ).toMatchObject({ name: "with space" });
  });

  it("answers unknown paths, wrong methods and handler errors in Azure's error shape", async () => {
    const unknown = await call("/gadgets?api-version=1");
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: { code: "NotFound", message: expect.any(String) as string } });
    expect((await call("/widgets?api-version=1", { method: "POST", body: {} })).status).toBe(405);
    const missing = await call("/widgets/nope?api-version=1");
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: { code: "WidgetNotFound", message: "Widget nope does not exist." } });
    const bad = await call("/widgets/w1?api-version=1", { method: "PUT", body: { colour: "red" } });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({
      error: { code: "BadParameter", message: expect.any(String) as string, target: "color" },
    });
    expect(widgets.stats.operation("(unmatched)").byStatus).toEqual({ "404": 1, "405": 1 });
  });

  it("requires api-version and valid JSON before the handler runs", async () => {
    widgets.stats.reset();
    const noVersion = await call("/widgets");
    expect(noVersion.status).toBe(400);
    expect(noVersion.json).toMatchObject({ error: { code: "MissingApiVersionParameter" } });
    const invalid = await call("/widgets/w2?api-version=1", { method: "PUT", rawBody: '{"color":' });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ error: { code: "InvalidRequestContent" } });
    expect(widgets.stats.operation("widgets.list")).toMatchObject({ rejected: 1, handled: 0 });
    expect(widgets.stats.operation("widgets.put")).toMatchObject({ rejected: 1, handled: 0 });
    expect(widgets.widgets.has("w2")).toBe(false);
  });

  describe("a custom emulator", () => {
    let custom: Emulator;
    const seen: EmulatorRequest[] = [];

    beforeAll(async () => {
      custom = await startEmulator({
        name: "custom",
        ca,
        auth: { mode: "required" },
        requireApiVersion: false,
        routes: [
          route({
            method: "POST",
            path: "/certificates/{name}/{version}/sign",
            operation: "keys.sign",
            handler: (request) => {
              seen.push(request);
              return jsonResponse(200, { name: request.params.name, version: request.params.version });
            },
          }),
          route({
            method: "GET",
            path: "/boom",
            operation: "boom",
            handler: () => {
              throw new Error("handler bug");
            },
          }),
          route({ method: "GET", path: "/text", operation: "text", handler: () => ({ status: 200, body: "plain" }) }),
        ],
      });
    });

    afterAll(async () => {
      await custom.stop();
    });

    it("hands the handler parameters, query, api-version, parsed body and request id", async () => {
      const response = await httpsRequest(`${custom.url}/certificates/ca-root/abc123/sign?api-version=7.5&x=1`, {
        ca: ca.certPem,
        token: "t",
        method: "POST",
        body: { alg: "RS256" },
      });
      expect(response.json).toEqual({ name: "ca-root", version: "abc123" });
      const request = seen[0];
      expect(request).toMatchObject({
        method: "POST",
        operation: "keys.sign",
        apiVersion: "7.5",
        body: { alg: "RS256" },
        baseUrl: custom.url,
        requestId: response.headers["x-ms-request-id"],
      });
      expect(request?.query.get("x")).toBe("1");
    });

    it("turns an unexpected handler error into a 500 and serves text bodies", async () => {
      const boom = await httpsRequest(`${custom.url}/boom`, { ca: ca.certPem, token: "t" });
      expect(boom.status).toBe(500);
      expect(boom.json).toMatchObject({ error: { code: "InternalServerError" } });
      const text = await httpsRequest(`${custom.url}/text`, { ca: ca.certPem, token: "t" });
      expect(text.text).toBe("plain");
      expect(text.headers["content-type"]).toContain("text/plain");
    });
  });
});
