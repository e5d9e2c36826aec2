// authorize() before any token is validated, and permitted(): the 401 and 403 answers, and the migration mode.
import { HttpRequest } from "@azure/functions";
import { createSigningKey, signAccessToken } from "../../../dev/emulators/identity";
import { resetConfig } from "../../../src/config";
import { APP_ROLES } from "../../../src/functions/auth/actor";
import type { Actor } from "../../../src/functions/auth/actor";
import { authorize, FUNCTION_KEY_ACTOR, permitted } from "../../../src/functions/auth/authorize";
import { baseEnv } from "../../support/env";

const saved = { ...process.env };

function useEnv(overrides: Record<string, string | undefined> = {}): void {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(baseEnv(overrides))) if (value !== undefined) env[key] = value;
  process.env = { ...saved, ...env };
  resetConfig();
}

afterEach(() => {
  process.env = { ...saved };
  resetConfig();
});

function request(headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ url: "https://app.example/api/v1/gateways", method: "GET", headers });
}

const reader: Actor = {
  kind: "app",
  objectId: "o",
  tenantId: "t",
  appId: "a",
  name: "Reader",
  roles: ["Certificates.Read", "Gateways.Read"],
};

describe("authorize", () => {
  it("answers 401 with a bare Bearer challenge when no token is sent", async () => {
    useEnv();
    const result = await authorize(request(), { role: "Certificates.Read" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(401);
    expect(result.response.headers).toMatchObject({
      "www-authenticate": "Bearer",
      "content-type": "application/problem+json",
    });
  });

  it("answers 401 invalid_token for an Authorization header that is not a bearer token", async () => {
    useEnv();
    const result = await authorize(request({ authorization: "Basic dXNlcjpwYXNz" }), { role: "Gateways.Read" });
    expect(!result.ok && result.response.status).toBe(401);
    expect(!result.ok && result.response.headers).toMatchObject({
      "www-authenticate":
        'Bearer error="invalid_token", error_description="the Authorization header is not a Bearer token"',
    });
  });

  it("lets a call without a token act as the function key only when tokens are not required", async () => {
    useEnv({ API_TOKENS_REQUIRED: "false" });
    expect(await authorize(request(), { role: "Certificates.Export" })).toEqual({
      ok: true,
      value: FUNCTION_KEY_ACTOR,
    });
    expect(FUNCTION_KEY_ACTOR.roles).toEqual(APP_ROLES);
    // A user's own route has no user without a token.
    const self = await authorize(request(), { delegatedUser: true });
    expect(!self.ok && self.response.status).toBe(401);
  });
  it("answers 503, not 401, when the signing keys cannot be fetched, without naming the cause", async () => {
    useEnv({ ENTRA_AUTHORITY_HOST: "https://127.0.0.1:1" });
    const key = await createSigningKey();
    const token = await signAccessToken(key, { tid: "t", oid: "o", exp: Math.floor(Date.now() / 1000) + 60 });
    const result = await authorize(request({ authorization: `Bearer ${token}` }), { role: "Gateways.Read" });
    expect(!result.ok && result.response.status).toBe(503);
    expect(JSON.stringify(!result.ok && result.response.jsonBody)).not.toContain("127.0.0.1");
  });
});

describe("permitted", () => {
  it("answers 403 naming the missing role", () => {
    expect(permitted(reader, { role: "Gateways.Read" })).toEqual({ ok: true, value: reader });
    const refused = permitted(reader, { role: "Certificates.Issue" });
    expect(!refused.ok && refused.response).toEqual({
      status: 403,
      jsonBody: {
        type: "about:blank",
        title: "Forbidden",
        status: 403,
        detail: "the caller does not hold the app role Certificates.Issue",
      },
      headers: { "content-type": "application/problem+json" },
    });
  });

  it("takes only a user's delegated token where the route acts for the user", () => {
    expect(!permitted(reader, { delegatedUser: true }).ok).toBe(true);
    const alice: Actor = { ...reader, kind: "user", name: "alice@contoso.com", upn: "alice@contoso.com", roles: [] };
    expect(permitted(alice, { delegatedUser: true })).toEqual({ ok: true, value: alice });
  });
});
