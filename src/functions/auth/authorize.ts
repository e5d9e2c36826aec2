// The gate of every API route: a valid Entra ID access token (401 otherwise, with WWW-Authenticate: Bearer) holding
// what the route needs (403 naming it otherwise). Nothing else happens on either answer.
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { entraSigningKeys } from "../../clients/entra-signing-keys";
import { getConfig } from "../../config";
import { problem } from "../http-validation";
import type { Validated } from "../http-validation";
import { APP_ROLES } from "./actor";
import type { Actor, AppRole } from "./actor";
import { validateAccessToken } from "./access-token";

export type AuthNeed = { readonly role: AppRole } | { readonly delegatedUser: true };

/**
 * Who a call without a token acts as while API_TOKENS_REQUIRED=false (migration only): the function key holder,
 * with every role, as before tokens.
 */
export const FUNCTION_KEY_ACTOR: Actor = Object.freeze({
  kind: "app",
  objectId: "00000000-0000-0000-0000-000000000000",
  tenantId: "00000000-0000-0000-0000-000000000000",
  appId: "function-key",
  name: "function-key",
  roles: APP_ROLES,
});

/** Validates the bearer token and checks the need. 401 (no/invalid token, with a WWW-Authenticate: Bearer header) or
 *  403 (problem+json naming the missing role) as `{ ok: false, response }`; nothing else happens on either. */
export async function authorize(request: HttpRequest, need: AuthNeed): Promise<Validated<Actor>> {
  const config = getConfig();
  const header = request.headers.get("authorization");
  if (header === null || header.trim() === "") {
    if (!config.API_TOKENS_REQUIRED && "role" in need) return { ok: true, value: FUNCTION_KEY_ACTOR };
    return unauthorized("send an Entra ID access token: Authorization: Bearer <token>", false);
  }
  const match = /^Bearer +([A-Za-z0-9_.~+/=-]+)\s*$/i.exec(header);
  const token = match?.[1];
  if (token === undefined) return unauthorized("the Authorization header is not a Bearer token", true);
  const tenantId = config.ENTRA_TENANT_ID;
  if (tenantId === undefined) return unauthorized("this API is not configured to accept tokens", true);
  const check = await validateAccessToken(
    token,
    { tenantId, audiences: config.ENTRA_API_AUDIENCES, authorityHost: config.ENTRA_AUTHORITY_HOST },
    entraSigningKeys(config, tenantId),
  );
  if (!check.ok) {
    if (check.kind === "unavailable") {
      // The cause (a host, a TLS error) is the operator's business, not an unauthenticated caller's.
      const detail = "the identity provider's signing keys could not be fetched; try again later";
      return { ok: false, response: problem(503, "Token validation unavailable", detail) };
    }
    return unauthorized(check.reason, true);
  }
  return permitted(check.actor, need);
}

/** 403 unless the actor has what the route needs. */
export function permitted(actor: Actor, need: AuthNeed): Validated<Actor> {
  if ("role" in need) {
    if (actor.roles.includes(need.role)) return { ok: true, value: actor };
    return forbidden(`the caller does not hold the app role ${need.role}`);
  }
  if (actor.kind === "user" && actor.upn !== undefined) return { ok: true, value: actor };
  return forbidden("this route takes a user's own delegated token, not an application token");
}

function unauthorized(detail: string, invalidToken: boolean): Validated<never> {
  const response = problem(401, "Unauthorized", detail);
  // RFC 6750: a request without credentials gets the bare challenge; a bad token gets error="invalid_token".
  const challenge = invalidToken
    ? `Bearer error="invalid_token", error_description="${detail.replace(/["\\]/g, "")}"`
    : "Bearer";
  return { ok: false, response: withHeader(response, "www-authenticate", challenge) };
}

function forbidden(detail: string): Validated<never> {
  return { ok: false, response: problem(403, "Forbidden", detail) };
}

function withHeader(response: HttpResponseInit, name: string, value: string): HttpResponseInit {
  return { ...response, headers: { ...(response.headers as Record<string, string>), [name]: value } };
}
