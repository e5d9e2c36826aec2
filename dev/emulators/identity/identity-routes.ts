// The Entra ID endpoints the app and its callers use: the tenant's v2 OpenID configuration, its signing keys, and
// the token endpoint's client credentials grant. Errors in Entra ID's OAuth shape ({ error, error_description,
// error_codes }), with AADSTS codes as Entra ID sends them for the same mistakes.
import { jsonResponse, route } from "../framework";
import type { EmulatorClock, EmulatorResponse, EmulatorRoute } from "../framework";
import type { Directory } from "./directory";
import { accessTokenPayload, signAccessToken } from "./tokens";

/** Entra ID's default access token lifetime is 60-90 minutes (randomised); the emulator takes the short end. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

export function oauthError(status: number, error: string, aadsts: number, description: string): EmulatorResponse {
  return jsonResponse(status, {
    error,
    error_description: `AADSTS${aadsts}: ${description}`,
    error_codes: [aadsts],
    timestamp: new Date().toISOString(),
  });
}

function unknownTenant(tenant: string): EmulatorResponse {
  return oauthError(400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
}

export function identityRoutes(directory: Directory, clock: EmulatorClock): EmulatorRoute[] {
  const known = (tenant: string): boolean => tenant.toLowerCase() === directory.tenantId;
  return [
    route({
      method: "GET",
      path: "/{tenant}/v2.0/.well-known/openid-configuration",
      operation: "openid.configuration",
      handler: (request) => {
        const tenant = request.params.tenant;
        if (!known(tenant)) return unknownTenant(tenant);
        const base = `${request.baseUrl}/${directory.tenantId}`;
        return jsonResponse(200, {
          issuer: `${base}/v2.0`,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
          subject_types_supported: ["pairwise"],
          id_token_signing_alg_values_supported: ["RS256"],
          token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
          scopes_supported: ["openid", "profile", "email", "offline_access"],
          tenant_region_scope: "EU",
        });
      },
    }),
    route({
      method: "GET",
      path: "/{tenant}/discovery/v2.0/keys",
      operation: "openid.keys",
      handler: (request) => {
        const tenant = request.params.tenant;
        if (!known(tenant)) return unknownTenant(tenant);
        return jsonResponse(200, { keys: directory.publishedKeys.map((k) => k.publicJwk) });
      },
    }),
    route({
      method: "POST",
      path: "/{tenant}/oauth2/v2.0/token",
      operation: "oauth2.token",
      handler: async (request) => {
        const tenant = request.params.tenant;
        if (!known(tenant)) return unknownTenant(tenant);
        const type = request.headers["content-type"] ?? "";
        if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
          return oauthError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
          );
        }
        const form = new URLSearchParams(request.rawBody.toString("utf8"));
        const grant = form.get("grant_type");
        if (grant !== "client_credentials") {
          return oauthError(
            400,
            "unsupported_grant_type",
            70003,
            `The app requested an unsupported grant type '${grant ?? ""}'.`,
          );
        }
        const clientId = form.get("client_id") ?? "";
        const secret = form.get("client_secret");
        const scope = form.get("scope") ?? "";
        if (secret === null) {
          return oauthError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
          );
        }
        const client = directory.authenticateClient(clientId, secret);
        if (client === "unknown") {
          return oauthError(
            400,
            "unauthorized_client",
            700016,
            `Application with identifier '${clientId}' was not found in the directory.`,
          );
        }
        if (client === "badSecret") {
          return oauthError(401, "invalid_client", 7000215, "Invalid client secret provided.");
        }
        const api = directory.api;
        // The client credentials grant takes only {resource}/.default, naming the API by URI or client id.
        if (scope !== `${api.appIdUri}/.default` && scope !== `${api.clientId}/.default`) {
          return oauthError(
            400,
            "invalid_scope",
            1002012,
            `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
          );
        }
        const token = await signAccessToken(
          directory.signingKey,
          accessTokenPayload({
            authorityHost: request.baseUrl,
            tenantId: directory.tenantId,
            audience: api.clientId,
            clientId: client.clientId,
            objectId: client.objectId,
            roles: client.roles,
            appDisplayName: client.displayName,
            issuedAt: Math.floor(clock.now() / 1000),
            lifetimeSeconds: DEFAULT_TOKEN_LIFETIME_SECONDS,
          }),
        );
        return jsonResponse(200, {
          token_type: "Bearer",
          expires_in: DEFAULT_TOKEN_LIFETIME_SECONDS,
          ext_expires_in: DEFAULT_TOKEN_LIFETIME_SECONDS,
          access_token: token,
        });
      },
    }),
  ];
}
