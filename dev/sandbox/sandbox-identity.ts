// The sandbox's Entra ID: the identity emulator with the API's registration and its six app roles, two client
// applications (an administrator holding every role, a reader) and a seeded user, and ready tokens for the endpoints
// file. Tokens last a day (Entra ID's longest); the endpoints file also says how to get fresh ones.
import { startIdentityEmulator } from "../emulators/identity";
import type { IdentityEmulator } from "../emulators/identity";
import type { EmulatorCa } from "../emulators/framework";
import { APP_ROLES } from "../../src/functions/auth/actor";

/** The sandbox's Entra ID tenant. */
export const SANDBOX_TENANT_ID = "5a4db0c5-0000-4000-8000-00000000c0de";
/** The API's app registration: its client id (the aud of v2 tokens) and Application ID URI. */
export const SANDBOX_API_CLIENT_ID = "5a4db0c5-a911-4000-8000-0000000a9100";
export const SANDBOX_API_AUDIENCE = "api://p2s-lifecycle-sandbox";
/** The user the sandbox's delegated token is for (the README's examples use her). */
export const SANDBOX_USER_UPN = "alice@contoso.com";
/** Sandbox tokens last this long: Entra ID's token lifetime policies stop at a day. */
export const SANDBOX_TOKEN_LIFETIME_SECONDS = 86_400;

export interface SandboxIdentityEndpoints {
  /** The identity emulator: the authority host (ENTRA_AUTHORITY_HOST). */
  readonly identityUrl: string;
  readonly tenantId: string;
  /** What a client asks the token endpoint for: `{Application ID URI}/.default`. */
  readonly apiScope: string;
  /** Client credentials of the administrator app (every role) and the reader app, for fresh tokens. */
  readonly adminClientId: string;
  readonly adminClientSecret: string;
  readonly readerClientId: string;
  readonly readerClientSecret: string;
  /** Application token with every app role. */
  readonly adminToken: string;
  /** Application token with Certificates.Read and Gateways.Read only. */
  readonly readerToken: string;
  /** Delegated token of SANDBOX_USER_UPN (no app role). */
  readonly userToken: string;
  /** When the three tokens expire (ISO). */
  readonly tokensExpireAt: string;
}

export async function startSandboxIdentity(ca: EmulatorCa): Promise<IdentityEmulator> {
  return startIdentityEmulator({
    ca,
    tenantId: SANDBOX_TENANT_ID,
    api: { clientId: SANDBOX_API_CLIENT_ID, appIdUri: SANDBOX_API_AUDIENCE, roles: APP_ROLES },
  });
}

/** The app settings that make the app accept the emulator's tokens. */
export function identitySettings(identity: IdentityEmulator): Record<string, string> {
  return {
    ENTRA_TENANT_ID: SANDBOX_TENANT_ID,
    ENTRA_API_AUDIENCES: `${SANDBOX_API_CLIENT_ID},${SANDBOX_API_AUDIENCE}`,
    ENTRA_AUTHORITY_HOST: identity.url,
    API_TOKENS_REQUIRED: "true",
  };
}

export async function sandboxIdentityEndpoints(identity: IdentityEmulator): Promise<SandboxIdentityEndpoints> {
  const admin = identity.controls.registerClient({ displayName: "p2s-sandbox-admin", roles: APP_ROLES });
  const reader = identity.controls.registerClient({
    displayName: "p2s-sandbox-reader",
    roles: ["Certificates.Read", "Gateways.Read"],
  });
  const lifetime = { lifetimeSeconds: SANDBOX_TOKEN_LIFETIME_SECONDS };
  const expiresAt = new Date(Date.now() + SANDBOX_TOKEN_LIFETIME_SECONDS * 1000).toISOString();
  return {
    identityUrl: identity.url,
    tenantId: SANDBOX_TENANT_ID,
    apiScope: `${SANDBOX_API_AUDIENCE}/.default`,
    adminClientId: admin.clientId,
    adminClientSecret: admin.secret,
    readerClientId: reader.clientId,
    readerClientSecret: reader.secret,
    adminToken: await identity.controls.clientToken(admin.clientId, lifetime),
    readerToken: await identity.controls.clientToken(reader.clientId, lifetime),
    userToken: await identity.controls.userToken(SANDBOX_USER_UPN, lifetime),
    tokensExpireAt: expiresAt,
  };
}
