// Bearer authentication as Azure shapes it. The token is required but not checked: the emulators are no security
// boundary. "challenge" is Key Vault's flow: the SDK's first request carries neither token nor body and must get a
// 401 with a WWW-Authenticate challenge, after which the SDK resends with both. "required" is ARM's and Graph's.
import type { IncomingHttpHeaders } from "node:http";
import { errorResponse } from "./responses";
import type { EmulatorResponse } from "./responses";

export type EmulatorAuth =
  | {
      readonly mode: "challenge";
      /** Resource the challenge names, e.g. "https://vault.azure.net". */
      readonly resource: string;
      /** Tenant in the authorization URL; default a fixed zero GUID. */
      readonly tenantId?: string;
    }
  | { readonly mode: "required" }
  // The identity provider's own endpoints (OpenID configuration, keys, token): no bearer token, as in Entra ID.
  | { readonly mode: "anonymous" };

export const DEFAULT_TENANT_ID = "00000000-0000-0000-0000-000000000000";

export function hasBearerToken(headers: IncomingHttpHeaders): boolean {
  return /^Bearer\s+\S+/i.test(headers.authorization ?? "");
}

export function unauthenticatedResponse(auth: EmulatorAuth): EmulatorResponse {
  if (auth.mode === "challenge") {
    const tenant = auth.tenantId ?? DEFAULT_TENANT_ID;
    return errorResponse(401, "Unauthorized", "The request carries no Bearer token.", {
      headers: {
        "WWW-Authenticate": `Bearer authorization="https://login.microsoftonline.com/${tenant}", resource="${auth.resource}"`,
      },
    });
  }
  return errorResponse(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
}
