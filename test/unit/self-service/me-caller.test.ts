// The /me routes' caller: a user's delegated token, its UPN checked by the domain rules.
import { HttpRequest } from "@azure/functions";
import { resetConfig } from "../../../src/config";
import type { Actor } from "../../../src/functions/auth/actor";
import { authorizeRoute, callerOf } from "../../../src/functions/me-caller";
import { baseEnv } from "../../support/env";

const alice: Actor = {
  kind: "user",
  objectId: "11111111-1111-1111-1111-111111111111",
  tenantId: "t",
  appId: "vpn-portal",
  name: "alice@contoso.com",
  upn: "alice@contoso.com",
  roles: [],
};

describe("callerOf", () => {
  it("takes the token's UPN and labels the audit with the actor", () => {
    expect(callerOf(alice)).toEqual({
      ok: true,
      value: {
        upn: "alice@contoso.com",
        label: "user:alice@contoso.com oid=11111111-1111-1111-1111-111111111111",
        actor: alice,
      },
    });
  });

  it("refuses a UPN the domain rules refuse with 403", () => {
    const bad = callerOf({ ...alice, upn: "a,O=x@contoso.com" });
    expect(!bad.ok && bad.response.status).toBe(403);
  });
});

describe("authorizeRoute", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    resetConfig();
  });

  it("answers 401 without a token, even while tokens are not required (no function-key stand-in for a user)", async () => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(baseEnv({ API_TOKENS_REQUIRED: "false" }))) if (v !== undefined) env[k] = v;
    process.env = { ...saved, ...env };
    resetConfig();
    const request = new HttpRequest({ url: "https://app.example/api/v1/me/certificates", method: "GET" });
    const result = await authorizeRoute(request);
    expect(!result.ok && result.response.status).toBe(401);
  });
});
