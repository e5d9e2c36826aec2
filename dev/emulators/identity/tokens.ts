// Entra ID-shaped access tokens: the claims a v2 (or v1) access token carries for an application (client
// credentials, `roles`) or a user (delegated, `scp`, `upn`), signed RS256 with a signing key. The identity emulator
// mints good tokens with its own keys; tests mint bad ones (expired, other audience or tenant, unknown key, alg none,
// HS256) with the same functions. Local tooling only.
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import type { JWK, JWTPayload, CryptoKey } from "jose";

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public half as a JWK (kty, n, e, kid, use, alg), as the JWKS publishes it. */
  readonly publicJwk: JWK;
}

export async function createSigningKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, publicJwk: { ...jwk, kid, use: "sig", alg: "RS256" } };
}

export interface TokenClaims {
  /** The authority host, e.g. https://login.microsoftonline.com (v2 issuer {host}/{tid}/v2.0). */
  readonly authorityHost: string;
  readonly tenantId: string;
  /** aud */
  readonly audience: string;
  /** The calling client's app id (azp in v2, appid in v1). */
  readonly clientId: string;
  /** oid: the user's or the service principal's object id. */
  readonly objectId: string;
  readonly roles?: readonly string[];
  /** Delegated tokens: the user's UPN and the consented scopes. */
  readonly user?: { readonly upn: string; readonly name?: string; readonly scopes: readonly string[] };
  /** Application tokens: the app's display name (an optional claim in Entra ID). */
  readonly appDisplayName?: string;
  /** Token version: "2.0" (default) or "1.0" (issuer https://sts.windows.net/{tid}/, appid instead of azp). */
  readonly version?: "1.0" | "2.0";
  /** Issued-at, seconds since the epoch (default now). */
  readonly issuedAt?: number;
  /** Lifetime in seconds (default 3600). */
  readonly lifetimeSeconds?: number;
  /** Extra or overriding claims (tests). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export function accessTokenPayload(claims: TokenClaims): JWTPayload {
  const iat = claims.issuedAt ?? Math.floor(Date.now() / 1000);
  const v1 = claims.version === "1.0";
  const payload: JWTPayload = {
    aud: claims.audience,
    iss: v1 ? `https://sts.windows.net/${claims.tenantId}/` : `${claims.authorityHost}/${claims.tenantId}/v2.0`,
    iat,
    nbf: iat,
    exp: iat + (claims.lifetimeSeconds ?? 3600),
    ver: v1 ? "1.0" : "2.0",
    tid: claims.tenantId,
    oid: claims.objectId,
    sub: claims.objectId,
    ...(v1 ? { appid: claims.clientId } : { azp: claims.clientId, azpacr: "1" }),
    uti: randomUUID().replace(/-/g, "").slice(0, 22),
  };
  if (claims.roles !== undefined && claims.roles.length > 0) payload.roles = [...claims.roles];
  if (claims.user !== undefined) {
    payload.scp = claims.user.scopes.join(" ");
    payload.name = claims.user.name ?? claims.user.upn;
    if (v1) payload.upn = claims.user.upn;
    else payload.preferred_username = claims.user.upn;
  } else {
    payload.idtyp = "app";
    if (claims.appDisplayName !== undefined) payload.app_displayname = claims.appDisplayName;
  }
  return { ...payload, ...claims.extra };
}

export async function signAccessToken(key: SigningKey, payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid }).sign(key.privateKey);
}

/** An unsigned token (`alg: none`), which no validator may accept. */
export function unsignedToken(payload: JWTPayload): string {
  return new UnsecuredJWT(payload).setIssuedAt(payload.iat ?? Math.floor(Date.now() / 1000)).encode();
}

/** A token "signed" with HS256 under a shared secret: the classic algorithm-confusion attempt. */
export async function hmacToken(payload: JWTPayload, secret: Uint8Array, kid: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT", kid }).sign(secret);
}
