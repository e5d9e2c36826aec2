// What the sandbox's endpoints.json promises, checked by use: every URL answers as the service it names (over TLS
// trusted by the file's CA where it is HTTPS), every key has the generated form and opens what it is for (and a wrong
// one does not), the storage connection string reaches Azurite, and every gateway id is a gateway the ARM emulator
// serves. Shared by the in-process sandbox test and the `npm start` test.
import { X509Certificate } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { httpsRequest } from "./emulator-clients";
import type { SandboxEndpoints } from "../../dev/sandbox/sandbox";

/** Every key endpoints.json holds. */
export const ENDPOINT_KEYS = [
  "adminClientId",
  "adminClientSecret",
  "adminToken",
  "apiScope",
  "armControlUrl",
  "armUrl",
  "caFile",
  "eventGridKey",
  "functionKey",
  "gatewayIds",
  "graphUrl",
  "host",
  "identityUrl",
  "keyVaultUrl",
  "linkBlobServiceUri",
  "masterKey",
  "readerClientId",
  "readerClientSecret",
  "readerToken",
  "storageConnectionString",
  "tenantId",
  "ticketSecret",
  "tokensExpireAt",
  "userToken",
  "vpnGroupId",
] as const;

/** 32 random bytes, base64url: how the host makes its keys and the sandbox its ticket secret. */
const GENERATED_KEY = /^[A-Za-z0-9_-]{43}$/;
const LOOPBACK_HTTP = /^http:\/\/127\.0\.0\.1:\d{1,5}$/;
const LOOPBACK_HTTPS = /^https:\/\/127\.0\.0\.1:\d{1,5}\/?$/;
const GATEWAY_ID =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworkGateways\/[^/]+$/;

/** The file checked: the sandbox's own type of it, so the two cannot drift apart. */
export type CheckedEndpoints = SandboxEndpoints;

/** Reads endpoints.json, checks its mode, shape and every endpoint by use; returns it. */
export async function checkEndpointsFile(file: string): Promise<CheckedEndpoints> {
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  const parsed = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  expect(Object.keys(parsed).sort()).toEqual([...ENDPOINT_KEYS]);
  const e = parsed as unknown as CheckedEndpoints;

  // The CA file sits next to endpoints.json and holds a CA certificate.
  expect(path.isAbsolute(e.caFile)).toBe(true);
  expect(path.dirname(e.caFile)).toBe(path.dirname(path.resolve(file)));
  const ca = await readFile(e.caFile, "utf8");
  expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/);
  expect(new X509Certificate(ca).ca).toBe(true);

  // The host answers health anonymously; each key has the generated form and they all differ.
  expect(e.host).toMatch(LOOPBACK_HTTP);
  expect((await fetch(`${e.host}/api/v1/health`)).status).toBe(200);
  for (const key of [e.functionKey, e.masterKey, e.eventGridKey, e.ticketSecret]) expect(key).toMatch(GENERATED_KEY);
  expect(new Set([e.functionKey, e.masterKey, e.eventGridKey, e.ticketSecret]).size).toBe(4);
  const withKey = (url: string, key: string | undefined, method = "GET", token?: string): Promise<number> =>
    fetch(url, {
      method,
      headers: {
        ...(key === undefined ? {} : { "x-functions-key": key }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
    }).then((r) => r.status);

  // The function key (or the master key) opens the API's platform layer, and a token with the route's role the route.
  const roots = `${e.host}/api/v1/roots`;
  expect(await withKey(roots, e.functionKey, "GET", e.adminToken)).toBe(200);
  expect(await withKey(roots, e.masterKey, "GET", e.adminToken)).toBe(200);
  expect(await withKey(roots, e.eventGridKey, "GET", e.adminToken)).toBe(401);
  expect(await withKey(roots, undefined, "GET", e.adminToken)).toBe(401);
  expect(await withKey(roots, e.functionKey)).toBe(401);
  await checkTokens(e, withKey);
  // The master key opens the admin API (404: no such function, after the key was accepted); the function key not.
  const admin = `${e.host}/admin/functions/noSuchFunction`;
  expect(await withKey(admin, e.masterKey, "POST")).toBe(404);
  expect(await withKey(admin, e.functionKey, "POST")).toBe(401);
  // The Event Grid key opens the Event Grid webhook (404: the app has no such function); the function key not.
  const grid = `${e.host}/runtime/webhooks/eventgrid?functionName=noSuchFunction`;
  expect(await withKey(grid, e.eventGridKey, "OPTIONS")).toBe(404);
  expect(await withKey(grid, e.functionKey, "OPTIONS")).toBe(401);

  // Key Vault over TLS trusted by the CA file: its challenge, as the SDK expects it first.
  expect(e.keyVaultUrl).toMatch(LOOPBACK_HTTPS);
  const vault = await httpsRequest(new URL("/secrets?api-version=7.5", e.keyVaultUrl).href, { ca });
  expect(vault.status).toBe(401);
  expect(vault.headers["www-authenticate"]).toMatch(/^Bearer authorization="https:\/\/login\.microsoftonline\.com\//);

  // ARM over TLS trusted by the CA file: every gateway id is a P2S gateway it serves; the controls share the port.
  expect(e.armUrl).toMatch(LOOPBACK_HTTPS);
  expect(e.armControlUrl).toBe(e.armUrl);
  expect(e.gatewayIds.length).toBeGreaterThanOrEqual(1);
  for (const id of e.gatewayIds) {
    expect(id).toMatch(GATEWAY_ID);
    const url = new URL(`${id}?api-version=2024-05-01`, e.armUrl).href;
    expect((await httpsRequest(url, { ca })).status).toBe(401);
    const gateway = await httpsRequest(url, { ca, token: "endpoints-check" });
    expect(gateway.status).toBe(200);
    const body = gateway.json as { id: string; name: string; properties: { vpnClientConfiguration?: unknown } };
    expect(body.id.toLowerCase()).toBe(id.toLowerCase());
    expect(body.name).toBe(id.split("/").pop());
    // A point-to-site gateway (its root may still be on its way: the first write runs after start-up).
    expect(body.properties.vpnClientConfiguration).toEqual(expect.any(Object));
  }
  const controls = await httpsRequest(new URL("/_emulator/arm/settings", e.armControlUrl).href, { ca });
  expect(controls.status).toBe(200);

  // Graph over TLS trusted by the CA file: a token is required; the VPN group exists and a seeded member is in it.
  expect(e.graphUrl).toMatch(LOOPBACK_HTTPS);
  expect(e.vpnGroupId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const alice = `${e.graphUrl}/v1.0/users/alice@contoso.com?$select=id,accountEnabled`;
  expect((await httpsRequest(alice, { ca })).status).toBe(401);
  const user = await httpsRequest(alice, { ca, token: "endpoints-check" });
  expect(user.json).toMatchObject({ accountEnabled: true });
  const group = await httpsRequest(`${e.graphUrl}/v1.0/groups/${e.vpnGroupId}?$select=id`, {
    ca,
    token: "endpoints-check",
  });
  expect(group.json).toMatchObject({ id: e.vpnGroupId });
  const memberOf = await httpsRequest(
    `${e.graphUrl}/v1.0/users/${(user.json as { id: string }).id}/checkMemberGroups`,
    {
      method: "POST",
      ca,
      token: "endpoints-check",
      body: { groupIds: [e.vpnGroupId] },
    },
  );
  expect(memberOf.json).toMatchObject({ value: [e.vpnGroupId] });
  const directory = await httpsRequest(`${e.graphUrl}/_emulator/directory`, { ca });
  expect(directory.status).toBe(200);

  // Azurite: the connection string names loopback endpoints and its account answers.
  expect(e.storageConnectionString).toMatch(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\//);
  expect(e.storageConnectionString).toMatch(/QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\//);
  expect(e.storageConnectionString).toMatch(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+\//);
  const properties = await BlobServiceClient.fromConnectionString(e.storageConnectionString).getProperties();
  expect(properties._response.status).toBe(200);

  // The link storage: https only, trusted by the CA file, and it wants a bearer token (no anonymous listing).
  expect(e.linkBlobServiceUri).toMatch(/^https:\/\/127\.0\.0\.1:\d{1,5}\/devstoreaccount1$/);
  const anonymous = await httpsRequest(`${e.linkBlobServiceUri}?comp=list`, { ca });
  expect(anonymous.status).toBe(403);
  return e;
}

type WithKey = (url: string, key: string | undefined, method?: string, token?: string) => Promise<number>;

/** The identity endpoints and the three tokens, by use: each token opens what its roles allow and no more. */
async function checkTokens(e: CheckedEndpoints, withKey: WithKey): Promise<void> {
  const ca = await readFile(e.caFile, "utf8");
  expect(e.identityUrl).toMatch(LOOPBACK_HTTPS);
  expect(e.tenantId).toMatch(/^[0-9a-f-]{36}$/);
  const discovery = await httpsRequest(`${e.identityUrl}/${e.tenantId}/v2.0/.well-known/openid-configuration`, { ca });
  expect(discovery.status).toBe(200);
  expect(discovery.json).toMatchObject({ issuer: `${e.identityUrl}/${e.tenantId}/v2.0` });
  // Long enough for a long session (a day), and said when they end.
  expect(Date.parse(e.tokensExpireAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);

  const roots = `${e.host}/api/v1/roots`;
  const issue = `${e.host}/api/v1/users/alice@contoso.com/certificates`;
  expect(await withKey(roots, e.functionKey, "GET", e.readerToken)).toBe(200);
  // The reader may not issue, the user holds no role: 403 before anything is read (no body is even needed).
  expect(await withKey(issue, e.functionKey, "POST", e.readerToken)).toBe(403);
  expect(await withKey(roots, e.functionKey, "GET", e.userToken)).toBe(403);
  const claims = (token: string): Record<string, unknown> =>
    JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  expect(claims(e.userToken)).toMatchObject({ preferred_username: "alice@contoso.com", tid: e.tenantId });
  expect(claims(e.adminToken).roles).toEqual(expect.arrayContaining(["Certificates.Issue", "Requests.Submit"]));

  // The client credentials give fresh tokens from the token endpoint, with the same roles.
  for (const [clientId, secret, status] of [
    [e.adminClientId, e.adminClientSecret, 200],
    [e.readerClientId, e.readerClientSecret, 403],
  ] as const) {
    const response = await httpsRequest(`${e.identityUrl}/${e.tenantId}/oauth2/v2.0/token`, {
      ca,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      rawBody: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: secret,
        scope: e.apiScope,
      }).toString(),
    });
    expect(response.status).toBe(200);
    const token = (response.json as { access_token: string }).access_token;
    expect(await withKey(`${e.host}/api/v1/gateways`, e.functionKey, "GET", token)).toBe(200);
    expect(await withKey(issue, e.functionKey, "POST", token)).toBe(status === 200 ? 415 : 403);
  }
}
