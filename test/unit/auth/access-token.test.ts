// The token validator against a local key set: what Entra ID issues passes, every forgery and mismatch is refused
// with its reason.
import { createLocalJWKSet } from "jose";
import type { JWTVerifyGetKey } from "jose";
import {
  accessTokenPayload,
  createSigningKey,
  hmacToken,
  signAccessToken,
  unsignedToken,
} from "../../../dev/emulators/identity/tokens";
import type { SigningKey, TokenClaims } from "../../../dev/emulators/identity/tokens";
import { actorLabel } from "../../../src/functions/auth/actor";
import { CLOCK_SKEW_SECONDS, validateAccessToken } from "../../../src/functions/auth/access-token";
import type { TokenPolicy } from "../../../src/functions/auth/access-token";

const TENANT = "11111111-2222-3333-4444-555555555555";
const OTHER_TENANT = "99999999-2222-3333-4444-555555555555";
const CLIENT_ID = "aaaaaaaa-0000-0000-0000-000000000001";
const APP_ID_URI = "api://p2s-lifecycle";
const HOST = "https://login.microsoftonline.com";
const NOW = new Date("2026-12-06T12:00:00Z");
const IAT = Math.floor(NOW.getTime() / 1000) - 60;
const policy: TokenPolicy = { tenantId: TENANT, audiences: [CLIENT_ID, APP_ID_URI], authorityHost: HOST };

let key: SigningKey;
let stranger: SigningKey;
let keys: JWTVerifyGetKey;

beforeAll(async () => {
  key = await createSigningKey("key-1");
  stranger = await createSigningKey("key-2");
  keys = createLocalJWKSet({ keys: [key.publicJwk] });
});

const appClaims = (overrides: Partial<TokenClaims> = {}): TokenClaims => ({
  authorityHost: HOST,
  tenantId: TENANT,
  audience: APP_ID_URI,
  clientId: "cccccccc-0000-0000-0000-00000000000c",
  objectId: "dddddddd-0000-0000-0000-00000000000d",
  roles: ["Certificates.Read", "Gateways.Read", "Something.Else"],
  appDisplayName: "Ticketing",
  issuedAt: IAT,
  ...overrides,
});

const userClaims = (overrides: Partial<TokenClaims> = {}): TokenClaims =>
  appClaims({
    roles: [],
    user: { upn: "Alice@Contoso.com", scopes: ["user_impersonation"] },
    objectId: "eeeeeeee-0000-0000-0000-00000000000e",
    ...overrides,
  });

async function check(token: string) {
  return validateAccessToken(token, policy, keys, NOW);
}

async function refusal(token: string): Promise<string> {
  const result = await check(token);
  if (result.ok) throw new Error("the token was accepted");
  expect(result.kind).toBe("invalid");
  return result.reason;
}

describe("validateAccessToken", () => {
  it("accepts a v2 application token and names the app, keeping only known roles", async () => {
    const result = await check(await signAccessToken(key, accessTokenPayload(appClaims())));
    expect(result).toEqual({
      ok: true,
      actor: {
        kind: "app",
        objectId: "dddddddd-0000-0000-0000-00000000000d",
        tenantId: TENANT,
        appId: "cccccccc-0000-0000-0000-00000000000c",
        name: "Ticketing",
        roles: ["Certificates.Read", "Gateways.Read"],
      },
    });
    if (result.ok) {
      expect(actorLabel(result.actor)).toBe(
        "app:Ticketing oid=dddddddd-0000-0000-0000-00000000000d appid=cccccccc-0000-0000-0000-00000000000c",
      );
    }
  });

  it("accepts a v1 token (sts.windows.net issuer, appid, upn) for the client id audience", async () => {
    const payload = accessTokenPayload(userClaims({ version: "1.0", audience: CLIENT_ID }));
    const result = await check(await signAccessToken(key, payload));
    expect(result.ok && result.actor).toMatchObject({
      kind: "user",
      upn: "alice@contoso.com",
      name: "alice@contoso.com",
      appId: "cccccccc-0000-0000-0000-00000000000c",
    });
    if (result.ok)
      expect(actorLabel(result.actor)).toBe("user:alice@contoso.com oid=eeeeeeee-0000-0000-0000-00000000000e");
  });

  it("reads a v2 delegated token's user from preferred_username, lower-cased", async () => {
    const result = await check(await signAccessToken(key, accessTokenPayload(userClaims())));
    expect(result.ok && result.actor).toMatchObject({ kind: "user", upn: "alice@contoso.com", roles: [] });
  });

  it("names an app without a display name by its app id", async () => {
    const result = await check(
      await signAccessToken(key, accessTokenPayload(appClaims({ appDisplayName: undefined }))),
    );
    expect(result.ok && result.actor.name).toBe("cccccccc-0000-0000-0000-00000000000c");
  });

  it("refuses an expired token, but allows the clock skew", async () => {
    const expiredLongAgo = accessTokenPayload(appClaims({ issuedAt: IAT - 7200, lifetimeSeconds: 3600 }));
    expect(await refusal(await signAccessToken(key, expiredLongAgo))).toBe("the token has expired");
    const justExpired = accessTokenPayload(
      appClaims({ issuedAt: IAT, lifetimeSeconds: 60 - Math.floor(CLOCK_SKEW_SECONDS / 2) }),
    );
    expect((await check(await signAccessToken(key, justExpired))).ok).toBe(true);
  });

  it("refuses a token not valid yet beyond the clock skew", async () => {
    const future = accessTokenPayload(appClaims({ issuedAt: IAT + 60 + CLOCK_SKEW_SECONDS + 60 }));
    expect(await refusal(await signAccessToken(key, future))).toBe("the token is not valid yet");
  });

  it("refuses a token for another audience", async () => {
    const payload = accessTokenPayload(appClaims({ audience: "https://graph.microsoft.com" }));
    expect(await refusal(await signAccessToken(key, payload))).toBe("the token is for another audience");
  });

  it("refuses a token of another tenant, by issuer and by tid", async () => {
    const other = accessTokenPayload(appClaims({ tenantId: OTHER_TENANT }));
    expect(await refusal(await signAccessToken(key, other))).toBe("the token is from another issuer or tenant");
    // The right issuer but another tid claim: still refused.
    const forgedTid = accessTokenPayload(appClaims({ extra: { tid: OTHER_TENANT } }));
    expect(await refusal(await signAccessToken(key, forgedTid))).toBe("the token is from another tenant");
  });

  it("refuses an issuer on another authority host", async () => {
    const payload = accessTokenPayload(appClaims({ authorityHost: "https://login.evil.example" }));
    expect(await refusal(await signAccessToken(key, payload))).toBe("the token is from another issuer or tenant");
  });

  it("refuses a token signed by an unknown key", async () => {
    const payload = accessTokenPayload(appClaims());
    expect(await refusal(await signAccessToken(stranger, payload))).toBe("the token is signed by an unknown key");
  });

  it("refuses a token signed by another key under a known kid", async () => {
    const impostor: SigningKey = { ...stranger, kid: key.kid };
    expect(await refusal(await signAccessToken(impostor, accessTokenPayload(appClaims())))).toBe(
      "the token's signature does not verify",
    );
  });

  it("refuses alg none and HS256", async () => {
    const payload = accessTokenPayload(appClaims());
    expect(await refusal(unsignedToken(payload))).toBe("the token is not signed with RS256");
    // HS256 keyed with the public key's modulus: the algorithm-confusion attack.
    const secret = Buffer.from(String(key.publicJwk.n), "base64url");
    expect(await refusal(await hmacToken(payload, secret, key.kid))).toBe("the token is not signed with RS256");
  });

  it("refuses a token without exp, oid or a client", async () => {
    const noExp = { ...accessTokenPayload(appClaims()), exp: undefined };
    expect(await refusal(await signAccessToken(key, noExp))).toBe("the token's exp claim is missing or invalid");
    const noOid = { ...accessTokenPayload(appClaims()), oid: undefined };
    expect(await refusal(await signAccessToken(key, noOid))).toBe("the token's oid claim is missing or invalid");
    const noClient = { ...accessTokenPayload(appClaims()), azp: undefined };
    expect(await refusal(await signAccessToken(key, noClient))).toBe("the token names no client (azp or appid)");
  });

  it("refuses a delegated token that names no user", async () => {
    const payload = { ...accessTokenPayload(userClaims()), preferred_username: undefined };
    expect(await refusal(await signAccessToken(key, payload))).toBe(
      "the delegated token names no user (upn or preferred_username)",
    );
  });

  it("refuses garbage", async () => {
    expect(await refusal("not-a-token")).toBe("the token is malformed");
  });

  it("reports keys it cannot fetch as unavailable, not as the caller's fault", async () => {
    const failing: JWTVerifyGetKey = () => Promise.reject(new Error("connect ECONNREFUSED"));
    const result = await validateAccessToken(
      await signAccessToken(key, accessTokenPayload(appClaims())),
      policy,
      failing,
      NOW,
    );
    expect(result).toEqual({
      ok: false,
      kind: "unavailable",
      reason: "the signing keys could not be fetched: connect ECONNREFUSED",
    });
  });
});
