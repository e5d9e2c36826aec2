// The emulated Azure the app talks to in integration tests: one CA, the Key Vault and ARM emulators, the run's
// Azurite, and the app settings that point the real SDK clients at them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulatorCa } from "../../dev/emulators/framework";
import { buildP2sGateway, startArmEmulator } from "../../dev/emulators/arm";
import type { ArmEmulator } from "../../dev/emulators/arm";
import { startKeyVaultEmulator } from "../../dev/emulators/keyvault";
import type { KeyVaultEmulator } from "../../dev/emulators/keyvault";
import { parseConfig, resetConfig } from "../../src/config";
import type { Config } from "../../src/config";
import { azuriteConnectionString, uniqueName } from "./azurite";
import { identitySettings, startSandboxIdentity } from "../../dev/sandbox/sandbox-identity";
import type { IdentityEmulator } from "../../dev/emulators/identity";
import { APP_ROLES } from "../../src/functions/auth/actor";

export const STACK_GATEWAY_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vgw-hub";

export interface Stack {
  readonly keyVault: KeyVaultEmulator;
  readonly arm: ArmEmulator;
  readonly caFile: string;
  /** The stack's Entra ID (the app's settings point at it). */
  readonly identity: IdentityEmulator;
  /** An application token with every app role, for calling route handlers. */
  readonly adminToken: string;
  /** App settings for this stack (fresh ledger tables per stack). */
  readonly env: Record<string, string>;
  config(overrides?: Record<string, string | undefined>): Config;
  /** Puts the stack's settings into process.env for code that reads getConfig(). */
  useProcessEnv(overrides?: Record<string, string | undefined>): void;
  seedGateway(): void;
  stop(): Promise<void>;
}

export async function startStack(
  options: { keyVaultThrottle?: boolean; gatewayOperationMs?: number } = {},
): Promise<Stack> {
  const ca = await createEmulatorCa();
  const dir = mkdtempSync(join(tmpdir(), "p2s-stack-"));
  const caFile = join(dir, "ca.pem");
  await ca.writeCertPem(caFile);
  const [keyVault, arm, identity] = await Promise.all([
    startKeyVaultEmulator({ ca, ...(options.keyVaultThrottle === true ? {} : { throttle: false as const }) }),
    startArmEmulator({ ca, operationDurationMs: options.gatewayOperationMs ?? 30, pollRetryAfterSeconds: null }),
    startSandboxIdentity(ca),
  ]);
  const admin = identity.controls.registerClient({ displayName: "stack-admin", roles: APP_ROLES });
  const adminToken = await identity.controls.clientToken(admin.clientId);
  const env: Record<string, string> = {
    AzureWebJobsStorage: azuriteConnectionString(),
    P2S_CREDENTIAL: "localEmulator",
    P2S_TRUSTED_CA_FILE: caFile,
    KEY_VAULT_URL: keyVault.url,
    ARM_ENDPOINT: arm.url,
    // Graph is called only with ENTRA_VPN_GROUP_ID set, which the stack leaves unset; the local credential needs every
    // token endpoint on loopback.
    GRAPH_ENDPOINT: "https://127.0.0.1:1",
    GATEWAY_RESOURCE_IDS: STACK_GATEWAY_ID,
    LEDGER_TABLE_PREFIX: uniqueName("t").replace(/[^a-z0-9]/g, ""),
    CA_ROOT_KEY_SIZE: "2048",
    ...identitySettings(identity),
    GATEWAY_POLL_INTERVAL_MS: "10",
    GATEWAY_BUSY_BACKOFF_MS: "50",
    GATEWAY_RECONCILE_SCHEDULE: "0 */5 * * * *",
    EXPIRY_CHECK_SCHEDULE: "0 0 6 * * *",
  };
  const saved = { ...process.env };
  const seedGateway = (): void => {
    arm.controls.seedGateway(STACK_GATEWAY_ID, buildP2sGateway({ id: STACK_GATEWAY_ID }));
  };
  seedGateway();
  return {
    keyVault,
    arm,
    caFile,
    identity,
    adminToken,
    env,
    config: (overrides = {}) => parseConfig(merge(env, overrides)),
    useProcessEnv: (overrides = {}) => {
      for (const [k, v] of Object.entries(merge(env, overrides))) {
        if (v === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = v;
      }
      resetConfig();
    },
    seedGateway,
    stop: async () => {
      for (const key of Object.keys(process.env)) if (!(key in saved)) Reflect.deleteProperty(process.env, key);
      Object.assign(process.env, saved);
      resetConfig();
      await Promise.all([keyVault.stop(), arm.stop(), identity.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function merge(
  env: Record<string, string>,
  overrides: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return { ...env, ...overrides };
}
