// The Graph emulator over HTTPS, as a plain client sees it: Graph's paths, $select, transitive membership through
// checkMemberGroups, Graph's error envelope (with innerError) on every error including injected faults, and the
// tokenless controls that make users and nest groups.
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { DEFAULT_VPN_GROUP_ID, startGraphEmulator } from "../../../dev/emulators/graph";
import type { GraphEmulator } from "../../../dev/emulators/graph";
import { httpsRequest } from "../../support/emulator-clients";
import type { HttpsRequestOptions, HttpsResult } from "../../support/emulator-clients";

const VPN = DEFAULT_VPN_GROUP_ID;
const OTHER_GROUP = "0f0f0f0f-0000-4000-8000-000000000001";

describe("Graph emulator protocol", () => {
  let ca: EmulatorCa;
  let graph: GraphEmulator;
  const call = (path: string, options: HttpsRequestOptions = {}): Promise<HttpsResult> =>
    httpsRequest(`${graph.url}${path}`, { ca: ca.certPem, token: "graph-test", ...options });
  const control = (path: string, options: HttpsRequestOptions = {}): Promise<HttpsResult> =>
    httpsRequest(`${graph.url}${path}`, { ca: ca.certPem, ...options });

  beforeAll(async () => {
    ca = await createEmulatorCa();
    graph = await startGraphEmulator({ ca });
    await control("/_emulator/users", { method: "POST", body: { upn: "alice@contoso.com", member: true } });
  });

  afterAll(async () => {
    await graph.stop();
  });

  beforeEach(() => {
    graph.faults.clear();
    graph.stats.reset();
  });

  const innerError = {
    date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as string,
    "request-id": expect.any(String) as string,
    "client-request-id": expect.any(String) as string,
  };

  it("refuses a request without a token as Graph does", async () => {
    const response = await call("/v1.0/users/alice@contoso.com", { token: undefined });
    expect(response.status).toBe(401);
    expect(response.json).toEqual({
      error: { code: "InvalidAuthenticationToken", message: "Access token is empty.", innerError },
    });
    expect(response.headers["request-id"]).toEqual(expect.any(String));
  });

  it("answers a user by UPN (any case) with the default properties, which leave out accountEnabled", async () => {
    const response = await call("/v1.0/users/Alice@Contoso.com");
    expect(response.status).toBe(200);
    const body = response.json as Record<string, unknown>;
    expect(body["@odata.context"]).toBe("https://graph.microsoft.com/v1.0/$metadata#users/$entity");
    expect(body).toMatchObject({ userPrincipalName: "alice@contoso.com", id: expect.any(String) as string });
    expect(body).not.toHaveProperty("accountEnabled");
  });

  it("answers exactly the $select properties, by UPN or by id", async () => {
    const byUpn = await call("/v1.0/users/alice@contoso.com?$select=id,accountEnabled");
    const id = (byUpn.json as { id: string }).id;
    expect(byUpn.json).toEqual({
      "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,accountEnabled)/$entity",
      id,
      accountEnabled: true,
    });
    const byId = await call(`/v1.0/users/${id}?$select=userPrincipalName,ACCOUNTENABLED`);
    expect(byId.json).toMatchObject({ userPrincipalName: "alice@contoso.com", accountEnabled: true });
    expect(graph.stats.operation("users.get")).toMatchObject({ count: 2, handled: 2 });
  });

  it("refuses an unknown $select property with 400", async () => {
    const response = await call("/v1.0/users/alice@contoso.com?$select=id,password");
    expect(response.status).toBe(400);
    expect((response.json as { error: { message: string } }).error.message).toMatch(/property named 'password'/);
  });

  it("answers an unknown user with 404 Request_ResourceNotFound and echoes the client-request-id", async () => {
    const response = await call("/v1.0/users/nobody@contoso.com", { headers: { "client-request-id": "abc-123" } });
    expect(response.status).toBe(404);
    expect(response.json).toEqual({
      error: {
        code: "Request_ResourceNotFound",
        message:
          "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.",
        innerError: { ...innerError, "client-request-id": "abc-123" },
      },
    });
    expect(response.headers["client-request-id"]).toBe("abc-123");
  });

  it("answers an unknown path with 400, never a 404 that reads as a missing object", async () => {
    const response = await call("/v1.0/user/alice@contoso.com");
    expect(response.status).toBe(400);
    expect((response.json as { error: { code: string } }).error.code).toBe("BadRequest");
  });

  it("checks membership transitively: direct, through nested groups, and not at all", async () => {
    await control("/_emulator/users", { method: "POST", body: { upn: "carol@contoso.com" } });
    await control("/_emulator/users", { method: "POST", body: { upn: "mallory@contoso.com", member: false } });
    // Carol is in Contractors, which is in Partners, which is in the VPN group.
    const partners = await control("/_emulator/groups", {
      method: "POST",
      body: { displayName: "Partners", memberOf: [VPN] },
    });
    const partnersId = (partners.json as { id: string }).id;
    const contractors = await control("/_emulator/groups", {
      method: "POST",
      body: { displayName: "Contractors", members: ["carol@contoso.com"], memberOf: [partnersId] },
    });
    expect(contractors.status).toBe(201);

    const check = async (upn: string, groupIds: string[]): Promise<unknown> => {
      const response = await call(`/v1.0/users/${upn}/checkMemberGroups`, { method: "POST", body: { groupIds } });
      expect(response.status).toBe(200);
      expect((response.json as Record<string, unknown>)["@odata.context"]).toBe(
        "https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)",
      );
      return (response.json as { value: unknown }).value;
    };
    expect(await check("alice@contoso.com", [VPN, OTHER_GROUP])).toEqual([VPN]);
    expect(await check("carol@contoso.com", [OTHER_GROUP, VPN, partnersId])).toEqual([VPN, partnersId]);
    expect(await check("mallory@contoso.com", [VPN])).toEqual([]);
    expect(graph.stats.operation("users.checkMemberGroups")).toMatchObject({ count: 3, handled: 3 });
  });

  it("refuses checkMemberGroups without groupIds, with more than 20, or with one that is not a GUID", async () => {
    const path = "/v1.0/users/alice@contoso.com/checkMemberGroups";
    expect((await call(path, { method: "POST", body: {} })).status).toBe(400);
    expect((await call(path, { method: "POST", body: { groupIds: [] } })).status).toBe(400);
    const many = Array.from({ length: 21 }, (_, i) => `0f0f0f0f-0000-4000-8000-${String(i).padStart(12, "0")}`);
    expect((await call(path, { method: "POST", body: { groupIds: many } })).status).toBe(400);
    expect((await call(path, { method: "POST", body: { groupIds: ["VPN Users"] } })).status).toBe(400);
    const unknown = await call("/v1.0/users/nobody@contoso.com/checkMemberGroups", {
      method: "POST",
      body: { groupIds: [VPN] },
    });
    expect(unknown.status).toBe(404);
  });

  it("answers an injected throttle as Graph does: 429 TooManyRequests, Retry-After, innerError", async () => {
    const rule = await control("/_emulator/faults", {
      method: "POST",
      body: { operation: "users.*", status: 429, retryAfterSeconds: 7, count: 1 },
    });
    expect(rule.status).toBe(201);
    const throttled = await call("/v1.0/users/alice@contoso.com");
    expect(throttled.status).toBe(429);
    expect(throttled.headers["retry-after"]).toBe("7");
    expect(throttled.json).toEqual({
      error: { code: "TooManyRequests", message: expect.any(String) as string, innerError },
    });
    expect((await call("/v1.0/users/alice@contoso.com")).status).toBe(200);
    expect(graph.stats.operation("users.get")).toMatchObject({ count: 2, faulted: 1, handled: 1 });
  });

  it("adds, updates and disables users through the control route; member toggles the direct VPN membership", async () => {
    const created = await control("/_emulator/users", {
      method: "POST",
      body: { upn: "dave@contoso.com", accountEnabled: true, member: true },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ userPrincipalName: "dave@contoso.com", member: true, accountEnabled: true });
    const disabled = await control("/_emulator/users", {
      method: "POST",
      body: { upn: "dave@contoso.com", accountEnabled: false },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.json).toMatchObject({ accountEnabled: false, member: true });
    const read = await call("/v1.0/users/dave@contoso.com?$select=accountEnabled");
    expect(read.json).toMatchObject({ accountEnabled: false });
    const removed = await control("/_emulator/users", {
      method: "POST",
      body: { upn: "dave@contoso.com", member: false },
    });
    expect(removed.json).toMatchObject({ member: false, transitiveMember: false });
    expect((await control("/_emulator/users/dave@contoso.com", { method: "DELETE" })).status).toBe(204);
    expect((await call("/v1.0/users/dave@contoso.com")).status).toBe(404);
    // Controls are neither counted nor need a token.
    expect(graph.stats.get()).not.toHaveProperty("_emulator.graph.users.upsert");
  });

  it("refuses invalid control requests and a group that would contain itself", async () => {
    const invalid = await control("/_emulator/users", { method: "POST", body: { upn: "not-a-upn" } });
    expect(invalid.status).toBe(400);
    // Control answers keep the framework's plain envelope: Graph's shape is for Graph's own routes.
    expect((invalid.json as { error: Record<string, unknown> }).error).not.toHaveProperty("innerError");
    const unknownGroup = await control("/_emulator/users", {
      method: "POST",
      body: { upn: "erin@contoso.com", groups: [OTHER_GROUP] },
    });
    expect(unknownGroup.status).toBe(404);
    expect((await call("/v1.0/users/erin@contoso.com")).status).toBe(404);
    const outer = await control("/_emulator/groups", { method: "POST", body: { displayName: "Outer" } });
    const outerId = (outer.json as { id: string }).id;
    const inner = await control("/_emulator/groups", {
      method: "POST",
      body: { displayName: "Inner", memberOf: [outerId] },
    });
    const innerId = (inner.json as { id: string }).id;
    const cycle = await control(`/_emulator/groups/${innerId}/members`, { method: "POST", body: { member: outerId } });
    expect(cycle.status).toBe(409);
  });

  it("numbers every directory change, for the features that will follow it", async () => {
    const before = graph.directory.changes().length;
    await control("/_emulator/users", { method: "POST", body: { upn: "frank@contoso.com", member: true } });
    const changes = await control(`/_emulator/changes?after=${before}`);
    expect((changes.json as { value: unknown[] }).value).toEqual([
      expect.objectContaining({ sequence: before + 1, objectType: "user", kind: "created" }),
      expect.objectContaining({ sequence: before + 2, objectType: "group", id: VPN, kind: "memberAdded" }),
    ]);
  });
});
