// The identity emulator as Entra ID's endpoints, and the app's token validation against it over TLS: JWKS fetched
// once and cached, fetched again for a new key id, client credentials with the app roles assigned, OAuth errors.
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { startIdentityEmulator } from "../../../dev/emulators/identity";
import type { IdentityEmulator } from "../../../dev/emulators/identity";
import { jwksUrl, remoteKeySet } from "../../../src/clients/entra-signing-keys";
import { validateAccessToken } from "../../../src/functions/auth/access-token";
import type { TokenPolicy } from "../../../src/functions/auth/access-token";
import { httpsRequest } from "../../support/emulator-clients";

const TENANT = "0f3a3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
const API = {
  clientId: "7d1f0c2a-3b4c-4d5e-8f60-718293a4b5c6",
  appIdUri: "api://p2s-test",
  roles: ["Certificates.Read", "Certificates.Issue", "Gateways.Read"],
};

let ca: EmulatorCa;
let identity: IdentityEmulator;
let policy: TokenPolicy;

beforeAll(async () => {
  ca = await createEmulatorCa();
  identity = await startIdentityEmulator({ ca, tenantId: TENANT, api: API });
  policy = { tenantId: TENANT, audiences: [API.clientId, API.appIdUri], authorityHost: identity.url };
});

afterAll(async () => {
  await identity.stop();
});

beforeEach(() => {
  identity.stats.reset();
});

function tokenRequest(form: Record<string, string>, tenant = TENANT) {
  return httpsRequest(`${identity.url}/${tenant}/oauth2/v2.0/token`, {
    ca: ca.certPem,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    rawBody: new URLSearchParams(form).toString(),
  });
}

describe("identity emulator", () => {
  it("publishes the v2 OpenID configuration, whose jwks_uri is where the app looks", async () => {
    const response = await httpsRequest(`${identity.url}/${TENANT}/v2.0/.well-known/openid-configuration`, {
      ca: ca.certPem,
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      issuer: `${identity.url}/${TENANT}/v2.0`,
      jwks_uri: jwksUrl(identity.url, TENANT),
      token_endpoint: `${identity.url}/${TENANT}/oauth2/v2.0/token`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
    const other = await httpsRequest(
      `${identity.url}/00000000-1111-4222-8333-444444444444/v2.0/.well-known/openid-configuration`,
      { ca: ca.certPem },
    );
    expect(other.status).toBe(400);
    expect(other.json).toMatchObject({ error: "invalid_tenant", error_codes: [90002] });
  });

  it("publishes public RSA keys only", async () => {
    const response = await httpsRequest(jwksUrl(identity.url, TENANT), { ca: ca.certPem });
    const keys = (response.json as { keys: Record<string, unknown>[] }).keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "RSA", use: "sig", alg: "RS256", e: "AQAB" });
    for (const privatePart of ["d", "p", "q", "dp", "dq", "qi"]) expect(keys[0]).not.toHaveProperty(privatePart);
  });

  it("gives a client its assigned app roles through client credentials, and the app accepts the token", async () => {
    const client = identity.controls.registerClient({ displayName: "Ticketing", roles: ["Certificates.Issue"] });
    const response = await tokenRequest({
      grant_type: "client_credentials",
      client_id: client.clientId,
      client_secret: client.secret,
      scope: `${API.appIdUri}/.default`,
    });
    expect(response.status).toBe(200);
    const body = response.json as { access_token: string; token_type: string; expires_in: number };
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    const keys = remoteKeySet(jwksUrl(identity.url, TENANT), ca.certPem);
    const result = await validateAccessToken(body.access_token, policy, keys);
    expect(result).toEqual({
      ok: true,
      actor: {
        kind: "app",
        objectId: expect.any(String) as string,
        tenantId: TENANT,
        appId: client.clientId,
        name: "Ticketing",
        roles: ["Certificates.Issue"],
      },
    });
  });

  it("refuses a wrong secret, an unknown client, another resource and another grant as Entra ID does", async () => {
    const client = identity.controls.registerClient({ displayName: "Reader", roles: [] });
    const base = { grant_type: "client_credentials", client_id: client.clientId, scope: `${API.clientId}/.default` };
    const wrong = await tokenRequest({ ...base, client_secret: "not-the-secret" });
    expect([wrong.status, (wrong.json as { error: string }).error]).toEqual([401, "invalid_client"]);
    const unknown = await tokenRequest({
      ...base,
      client_id: "1b2c3d4e-0000-4000-8000-000000000000",
      client_secret: "x",
    });
    expect([unknown.status, (unknown.json as { error: string }).error]).toEqual([400, "unauthorized_client"]);
    const scope = await tokenRequest({
      ...base,
      client_secret: client.secret,
      scope: "https://graph.microsoft.com/.default",
    });
    expect([scope.status, (scope.json as { error: string }).error]).toEqual([400, "invalid_scope"]);
    const grant = await tokenRequest({ ...base, client_secret: client.secret, grant_type: "password" });
    expect([grant.status, (grant.json as { error: string }).error]).toEqual([400, "unsupported_grant_type"]);
    expect(() => identity.controls.registerClient({ displayName: "x", roles: ["Everything.Admin"] })).toThrow(
      "the API defines no app role Everything.Admin",
    );
  });

  it("mints a user's delegated token through its control route, with the user's assigned roles", async () => {
    identity.controls.registerUser("Helpdesk@Contoso.com", ["Certificates.Read"]);
    const response = await httpsRequest(`${identity.url}/_emulator/identity/users/helpdesk@contoso.com/token`, {
      ca: ca.certPem,
      method: "POST",
      body: { lifetimeSeconds: 7200 },
    });
    expect(response.status).toBe(200);
    const token = (response.json as { access_token: string }).access_token;
    const result = await validateAccessToken(token, policy, remoteKeySet(jwksUrl(identity.url, TENANT), ca.certPem));
    expect(result.ok && result.actor).toMatchObject({
      kind: "user",
      upn: "helpdesk@contoso.com",
      roles: ["Certificates.Read"],
    });
  });

  it("lets the app's key set fetch the keys once, and again for a key id it does not know", async () => {
    const keys = remoteKeySet(jwksUrl(identity.url, TENANT), ca.certPem, 0);
    const first = await identity.controls.userToken("alice@contoso.com");
    for (let i = 0; i < 3; i += 1) expect((await validateAccessToken(first, policy, keys)).ok).toBe(true);
    expect(identity.stats.operation("openid.keys").count).toBe(1);
    await identity.controls.rotateSigningKey();
    const rotated = await identity.controls.userToken("alice@contoso.com");
    expect((await validateAccessToken(rotated, policy, keys)).ok).toBe(true);
    expect((await validateAccessToken(first, policy, keys)).ok).toBe(true);
    expect(identity.stats.operation("openid.keys").count).toBe(2);
  });

  it("refuses to validate over TLS it cannot trust: the keys are unavailable, not the token invalid", async () => {
    const keys = remoteKeySet(jwksUrl(identity.url, TENANT), undefined);
    const result = await validateAccessToken(await identity.controls.userToken("alice@contoso.com"), policy, keys);
    expect(result).toMatchObject({ ok: false, kind: "unavailable" });
  });
});
