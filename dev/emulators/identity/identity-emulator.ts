// startIdentityEmulator: an Entra ID tenant on the emulator framework, over HTTPS on loopback: the v2 OpenID
// configuration, the signing keys (JWKS), the token endpoint (client credentials), and sandbox-only controls to get a
// user's delegated token. The app validates what it mints exactly as it validates Entra ID's tokens.
import { z } from "zod";
import { errorResponse, jsonResponse, route, startEmulator, systemClock } from "../framework";
import type { EmulatorCa, EmulatorClock, EmulatorFaults, EmulatorRoute, EmulatorStats } from "../framework";
import { Directory } from "./directory";
import type { DirectoryUser, ProtectedApi } from "./directory";
import { DEFAULT_TOKEN_LIFETIME_SECONDS, identityRoutes } from "./identity-routes";
import { accessTokenPayload, signAccessToken } from "./tokens";
import type { TokenClaims } from "./tokens";
import type { JWTPayload } from "jose";

/** The client id user tokens name as azp: the public client (a CLI) the user signed in with. Emulator-only. */
export const SANDBOX_PUBLIC_CLIENT_ID = "0c1e7a5d-5a4d-4b0c-8000-5a4db0c5c11e";

/** Longest lifetime the controls mint: Entra ID's token lifetime policies stop at a day. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

export interface IdentityEmulatorOptions {
  readonly ca: EmulatorCa;
  /** The tenant id (a GUID); other tenants are "not found". */
  readonly tenantId: string;
  readonly api: ProtectedApi;
  readonly port?: number;
  readonly clock?: EmulatorClock;
  readonly log?: (line: string) => void;
}

export interface UserTokenOptions {
  /** Default 3600, at most a day. */
  readonly lifetimeSeconds?: number;
  /** Default ["user_impersonation"]. */
  readonly scopes?: readonly string[];
}

export interface IdentityControls {
  /** A client application (service principal) with a secret and app roles on the API. */
  registerClient(input: { displayName: string; roles: readonly string[]; clientId?: string; secret?: string }): {
    clientId: string;
    secret: string;
  };
  /** Assigns app roles to a user (replacing earlier ones). */
  registerUser(upn: string, roles?: readonly string[]): DirectoryUser;
  /** A delegated access token for a user of the tenant, as after an interactive sign-in (emulator only). */
  userToken(upn: string, options?: UserTokenOptions): Promise<string>;
  /** An application token for a registered client, as the token endpoint gives it, but with a chosen lifetime. */
  clientToken(clientId: string, options?: { lifetimeSeconds?: number }): Promise<string>;
  /** Signs any payload with the tenant's current key (tests forge claims with it: expired, other audience...). */
  sign(payload: JWTPayload): Promise<string>;
  /** The claims of a v2 token of this tenant for the API; overrides win. */
  claims(overrides?: Partial<TokenClaims>): TokenClaims;
  /** Publishes a new signing key and signs with it from now on (old keys stay published). */
  rotateSigningKey(): Promise<string>;
}

export interface IdentityEmulator {
  /** https://127.0.0.1:port: the authority host (ENTRA_AUTHORITY_HOST). */
  readonly url: string;
  readonly port: number;
  readonly tenantId: string;
  readonly api: ProtectedApi;
  readonly faults: EmulatorFaults;
  readonly stats: EmulatorStats;
  readonly controls: IdentityControls;
  stop(): Promise<void>;
}

const userTokenBody = z
  .object({
    lifetimeSeconds: z.number().int().min(60).max(MAX_TOKEN_LIFETIME_SECONDS).optional(),
    scopes: z
      .array(z.string().regex(/^[\w.-]+$/))
      .min(1)
      .optional(),
  })
  .strict();

const userBody = z.object({ roles: z.array(z.string()) }).strict();

export async function startIdentityEmulator(options: IdentityEmulatorOptions): Promise<IdentityEmulator> {
  const clock = options.clock ?? systemClock;
  const directory = new Directory(options.tenantId.toLowerCase(), options.api);
  await directory.rotateKey();
  let url = "";

  const claims = (overrides: Partial<TokenClaims> = {}): TokenClaims => ({
    authorityHost: url,
    tenantId: directory.tenantId,
    audience: options.api.clientId,
    clientId: SANDBOX_PUBLIC_CLIENT_ID,
    objectId: SANDBOX_PUBLIC_CLIENT_ID,
    issuedAt: Math.floor(clock.now() / 1000),
    lifetimeSeconds: DEFAULT_TOKEN_LIFETIME_SECONDS,
    ...overrides,
  });
  const lifetime = (seconds: number | undefined): number => {
    const value = seconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    if (!Number.isInteger(value) || value < 60 || value > MAX_TOKEN_LIFETIME_SECONDS) {
      throw new Error(`a token lifetime is 60 to ${MAX_TOKEN_LIFETIME_SECONDS} seconds`);
    }
    return value;
  };

  const controls: IdentityControls = {
    registerClient: (input) => directory.registerClient(input),
    registerUser: (upn, roles = []) => directory.registerUser(upn, roles),
    userToken: async (upn, tokenOptions = {}) => {
      const user = directory.user(upn);
      return signAccessToken(
        directory.signingKey,
        accessTokenPayload(
          claims({
            objectId: user.objectId,
            roles: user.roles,
            user: { upn: user.upn, scopes: tokenOptions.scopes ?? ["user_impersonation"] },
            lifetimeSeconds: lifetime(tokenOptions.lifetimeSeconds),
          }),
        ),
      );
    },
    clientToken: async (clientId, tokenOptions = {}) => {
      const client = directory.client(clientId);
      if (client === undefined) throw new Error(`no client ${clientId} is registered`);
      return signAccessToken(
        directory.signingKey,
        accessTokenPayload(
          claims({
            clientId: client.clientId,
            objectId: client.objectId,
            roles: client.roles,
            appDisplayName: client.displayName,
            lifetimeSeconds: lifetime(tokenOptions.lifetimeSeconds),
          }),
        ),
      );
    },
    sign: (payload) => signAccessToken(directory.signingKey, payload),
    claims,
    rotateSigningKey: async () => (await directory.rotateKey()).kid,
  };

  const emulator = await startEmulator({
    name: "identity",
    ca: options.ca,
    auth: { mode: "anonymous" },
    requireApiVersion: false,
    routes: identityRoutes(directory, clock),
    controlRoutes: identityControlRoutes(controls),
    clock,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  url = emulator.url;
  return {
    url: emulator.url,
    port: emulator.port,
    tenantId: directory.tenantId,
    api: options.api,
    faults: emulator.faults,
    stats: emulator.stats,
    controls,
    stop: () => emulator.stop(),
  };
}

function identityControlRoutes(controls: IdentityControls): EmulatorRoute[] {
  return [
    route({
      method: "PUT",
      path: "/_emulator/identity/users/{upn}",
      operation: "_emulator.identity.users.put",
      handler: (request) => {
        const parsed = userBody.safeParse(request.body);
        if (!parsed.success) return errorResponse(400, "InvalidUser", parsed.error.message);
        try {
          return jsonResponse(200, controls.registerUser(request.params.upn, parsed.data.roles));
        } catch (error) {
          return errorResponse(400, "InvalidUser", error instanceof Error ? error.message : String(error));
        }
      },
    }),
    route({
      method: "POST",
      path: "/_emulator/identity/users/{upn}/token",
      operation: "_emulator.identity.users.token",
      handler: async (request) => {
        const parsed = userTokenBody.safeParse(request.body ?? {});
        if (!parsed.success) return errorResponse(400, "InvalidTokenRequest", parsed.error.message);
        const lifetimeSeconds = parsed.data.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
        const token = await controls.userToken(request.params.upn, {
          lifetimeSeconds,
          ...(parsed.data.scopes === undefined ? {} : { scopes: parsed.data.scopes }),
        });
        return jsonResponse(200, { token_type: "Bearer", expires_in: lifetimeSeconds, access_token: token });
      },
    }),
  ];
}
