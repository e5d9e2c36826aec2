// Validation of an Entra ID access token with jose: RS256 signature against the tenant's signing keys, issuer (v1 or
// v2 form), audience, tenant, expiry and not-before with a small clock skew. The answer is the Actor the token names,
// or why the token is refused (words safe to return to the caller), or that the keys could not be had.
import { errors, jwtVerify } from "jose";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import { isAppRole } from "./actor";
import type { Actor } from "./actor";

export interface TokenPolicy {
  readonly tenantId: string;
  /** The app's client id and/or Application ID URI. */
  readonly audiences: readonly string[];
  /** e.g. https://login.microsoftonline.com (no trailing slash). */
  readonly authorityHost: string;
}

/** Clocks of Entra ID and this app may differ a little; Microsoft's own middleware allows 5 minutes, we allow 2. */
export const CLOCK_SKEW_SECONDS = 120;

export type TokenCheck =
  | { readonly ok: true; readonly actor: Actor }
  | { readonly ok: false; readonly kind: "invalid"; readonly reason: string }
  | { readonly ok: false; readonly kind: "unavailable"; readonly reason: string };

/** The issuers a tenant's tokens carry: v2 (`{authority}/{tid}/v2.0`) and v1 (`https://sts.windows.net/{tid}/`). */
export function acceptedIssuers(policy: Pick<TokenPolicy, "tenantId" | "authorityHost">): string[] {
  return [`${policy.authorityHost}/${policy.tenantId}/v2.0`, `https://sts.windows.net/${policy.tenantId}/`];
}

export async function validateAccessToken(
  token: string,
  policy: TokenPolicy,
  keys: JWTVerifyGetKey,
  now: Date = new Date(),
): Promise<TokenCheck> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: ["RS256"],
      issuer: acceptedIssuers(policy),
      audience: [...policy.audiences],
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ["exp", "tid", "oid"],
      currentDate: now,
    }));
  } catch (error) {
    return refusal(error);
  }
  if (payload.tid !== policy.tenantId) return invalid("the token is from another tenant");
  return actorOf(payload);
}

function invalid(reason: string): TokenCheck {
  return { ok: false, kind: "invalid", reason };
}

/** What the caller did wrong, or, when the keys could not be fetched, that it is not the caller's fault. */
function refusal(error: unknown): TokenCheck {
  if (error instanceof errors.JWTExpired) return invalid("the token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "aud":
        return invalid("the token is for another audience");
      case "iss":
        return invalid("the token is from another issuer or tenant");
      case "nbf":
        return invalid("the token is not valid yet");
      default:
        return invalid(`the token's ${error.claim} claim is missing or invalid`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return invalid("the token is not signed with RS256");
  }
  if (error instanceof errors.JWKSNoMatchingKey) return invalid("the token is signed by an unknown key");
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid("the token's signature does not verify");
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return invalid("the token is malformed");
  }
  // JWKS fetch failures (timeout, not 200, not a key set): the authority, not the token.
  const detail = error instanceof Error ? error.message : String(error);
  return { ok: false, kind: "unavailable", reason: `the signing keys could not be fetched: ${detail}` };
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function actorOf(payload: JWTPayload): TokenCheck {
  const objectId = stringClaim(payload, "oid");
  const tenantId = stringClaim(payload, "tid");
  // v2 tokens name the client in azp, v1 tokens in appid.
  const appId = stringClaim(payload, "azp") ?? stringClaim(payload, "appid");
  if (objectId === undefined || tenantId === undefined) return invalid("the token has no oid or tid");
  if (appId === undefined) return invalid("the token names no client (azp or appid)");
  const rolesClaim = payload.roles;
  const roles = Array.isArray(rolesClaim) ? rolesClaim.filter(isAppRole) : [];
  const uniqueRoles = [...new Set(roles)];
  // A delegated token carries the user's consented scopes; an application token has none.
  if (stringClaim(payload, "scp") !== undefined) {
    const upn = (stringClaim(payload, "upn") ?? stringClaim(payload, "preferred_username"))?.toLowerCase();
    if (upn === undefined) return invalid("the delegated token names no user (upn or preferred_username)");
    return { ok: true, actor: { kind: "user", objectId, tenantId, appId, name: upn, upn, roles: uniqueRoles } };
  }
  const name = stringClaim(payload, "app_displayname") ?? appId;
  return { ok: true, actor: { kind: "app", objectId, tenantId, appId, name, roles: uniqueRoles } };
}
