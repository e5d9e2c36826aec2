// Bearer authentication in both Azure flavours, driven by the SDK's own policies: Key Vault's challenge (first
// request without token or body) and ARM's plain required token.
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { startWidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import type { WidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import { httpsRequest, RecordingCredential, sdkClient } from "../../support/emulator-clients";

const TENANT = "11111111-2222-3333-4444-555555555555";
const RESOURCE = "https://vault.azure.net";

describe("emulator bearer authentication", () => {
  let ca: EmulatorCa;
  let challenge: WidgetsEmulator;
  let required: WidgetsEmulator;

  beforeAll(async () => {
    ca = await createEmulatorCa();
    [challenge, required] = await Promise.all([
      startWidgetsEmulator({ ca, auth: { mode: "challenge", resource: RESOURCE, tenantId: TENANT } }),
      startWidgetsEmulator({ ca, auth: { mode: "required" } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([challenge.stop(), required.stop()]);
  });

  beforeEach(() => {
    challenge.stats.reset();
    required.stats.reset();
  });

  it("challenges a request without a token the way Key Vault does", async () => {
    const response = await httpsRequest(`${challenge.url}/widgets?api-version=7.5`, { ca: ca.certPem });
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toBe(
      `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="${RESOURCE}"`,
    );
    expect(response.json).toEqual({ error: { code: "Unauthorized", message: expect.any(String) as string } });
    expect(challenge.stats.operation("widgets.list")).toMatchObject({ count: 1, unauthenticated: 1, handled: 0 });
  });

  it("keeps the body through the SDK's bodiless first request and answers the retry", async () => {
    const credential = new RecordingCredential();
    const send = sdkClient({ ca: ca.certPem, credential, auth: "challenge" });

    const created = await send("PUT", `${challenge.url}/widgets/Alpha?api-version=7.5`, { color: "red" });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: "Alpha", color: "red", version: 1 });
    expect(challenge.widgets.get("alpha")?.color).toBe("red");
    expect(credential.requests).toEqual([{ scopes: [`${RESOURCE}/.default`], tenantId: TENANT }]);
    expect(challenge.stats.operation("widgets.put")).toMatchObject({
      count: 2,
      byStatus: { "401": 1, "201": 1 },
      unauthenticated: 1,
      handled: 1,
    });

    // Once challenged, the policy sends the token straight away.
    expect((await send("PUT", `${challenge.url}/widgets/Alpha?api-version=7.5`, { color: "blue" })).status).toBe(200);
    expect(challenge.stats.operation("widgets.put")).toMatchObject({ count: 3, unauthenticated: 1, handled: 2 });
    expect(challenge.widgets.get("alpha")).toMatchObject({ color: "blue", version: 2 });
  });

  it("refuses a missing token ARM-style, without a challenge", async () => {
    const response = await httpsRequest(`${required.url}/widgets?api-version=2024-05-01`, { ca: ca.certPem });
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toBeUndefined();
    expect(response.json).toEqual({
      error: { code: "AuthenticationFailed", message: expect.any(String) as string },
    });
    const basic = await httpsRequest(`${required.url}/widgets?api-version=2024-05-01`, {
      ca: ca.certPem,
      headers: { authorization: "Basic dXNlcjpwYXNz" },
    });
    expect(basic.status).toBe(401);
    const empty = await httpsRequest(`${required.url}/widgets?api-version=2024-05-01`, {
      ca: ca.certPem,
      headers: { authorization: "Bearer " },
    });
    expect(empty.status).toBe(401);
  });

  it("accepts any bearer token from the ARM SDK policy and returns request ids", async () => {
    const credential = new RecordingCredential();
    const send = sdkClient({ ca: ca.certPem, credential, auth: "bearer" });
    const response = await send("PUT", `${required.url}/widgets/beta?api-version=2024-05-01`, { color: "green" });
    expect(response.status).toBe(201);
    expect(credential.requests[0]?.scopes).toEqual(["https://management.azure.com/.default"]);
    expect(response.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    // The SDK sends x-ms-client-request-id; Azure echoes it.
    expect(response.headers.get("x-ms-client-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(required.stats.operation("widgets.put")).toMatchObject({ count: 1, handled: 1, unauthenticated: 0 });
  });
});
