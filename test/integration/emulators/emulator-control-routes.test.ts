// A service's own control routes (startEmulator's controlRoutes): served on the emulator's port like the framework's
// /_emulator endpoints, without a token or api-version, never faulted, throttled or counted; service routes still
// require a token.
import { createEmulatorCa, jsonResponse, route, startEmulator } from "../../../dev/emulators/framework";
import type { Emulator, EmulatorCa } from "../../../dev/emulators/framework";
import { httpsRequest } from "../../support/emulator-clients";

describe("emulator control routes", () => {
  let ca: EmulatorCa;
  let emulator: Emulator;
  let resets = 0;

  beforeAll(async () => {
    ca = await createEmulatorCa();
    emulator = await startEmulator({
      name: "custom",
      ca,
      auth: { mode: "required" },
      routes: [
        route({ method: "GET", path: "/things", operation: "things.list", handler: () => jsonResponse(200, []) }),
      ],
      controlRoutes: [
        route({
          method: "POST",
          path: "/_emulator/custom/reset",
          operation: "_emulator.custom.reset",
          handler: () => {
            resets += 1;
            return jsonResponse(200, { resets });
          },
        }),
        route({
          method: "GET",
          path: "/downloads/{file}",
          operation: "downloads.get",
          handler: (request) => ({ status: 200, body: `file ${request.params.file}` }),
        }),
      ],
      throttles: [{ name: "everything", operations: ["*"], limit: 1, windowMs: 60_000 }],
    });
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it("serves them without a token or api-version, unfaulted, unthrottled and uncounted", async () => {
    emulator.faults.add({ operation: "*", status: 503 });
    try {
      for (let i = 1; i <= 3; i += 1) {
        const reset = await httpsRequest(`${emulator.url}/_emulator/custom/reset`, { ca: ca.certPem, method: "POST" });
        expect(reset).toMatchObject({ status: 200, json: { resets: i } });
      }
      const download = await httpsRequest(`${emulator.url}/downloads/profile.zip`, { ca: ca.certPem });
      expect(download).toMatchObject({ status: 200, text: "file profile.zip" });
      expect((await httpsRequest(`${emulator.url}/things?api-version=1`, { ca: ca.certPem, token: "t" })).status).toBe(
        503,
      );
    } finally {
      emulator.faults.clear();
    }
    expect(Object.keys(emulator.stats.get())).toEqual(["things.list"]);
  });

  it("keeps the framework's own controls and the token on service routes", async () => {
    const stats = await httpsRequest(`${emulator.url}/_emulator/stats`, { ca: ca.certPem });
    expect(stats.status).toBe(200);
    expect((await httpsRequest(`${emulator.url}/things?api-version=1`, { ca: ca.certPem })).status).toBe(401);
    expect((await httpsRequest(`${emulator.url}/downloads/x`, { ca: ca.certPem, method: "DELETE" })).status).toBe(405);
  });
});
