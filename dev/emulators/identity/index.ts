// The identity (Entra ID) emulator's public surface.
export { MAX_TOKEN_LIFETIME_SECONDS, SANDBOX_PUBLIC_CLIENT_ID, startIdentityEmulator } from "./identity-emulator";
export type {
  IdentityControls,
  IdentityEmulator,
  IdentityEmulatorOptions,
  UserTokenOptions,
} from "./identity-emulator";
export type { ProtectedApi } from "./directory";
export { accessTokenPayload, createSigningKey, hmacToken, signAccessToken, unsignedToken } from "./tokens";
export type { SigningKey, TokenClaims } from "./tokens";
