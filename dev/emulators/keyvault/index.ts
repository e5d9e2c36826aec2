// The Key Vault emulator's public surface.
export { KEY_VAULT_RESOURCE, startKeyVaultEmulator } from "./emulator";
export type { KeyVaultEmulator, KeyVaultEmulatorOptions, KeyVaultInspector, KeyVaultThrottleControl } from "./emulator";
export type { VersionDescription } from "./inspect";
export { DEFAULT_KEY_VAULT_LIMITS } from "./throttle-model";
export type { KeyVaultThrottleLimits, KeyVaultThrottleOptions } from "./throttle-model";
export type { VaultBehaviour } from "./certificate-store";
export type { ExpiredSecretReads } from "./standalone-secrets";
export type { LatestRule } from "./records";
