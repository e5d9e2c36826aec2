// The offline sandbox: Azurite, the HTTPS emulators (Key Vault, ARM) and the embedded Functions host running the
// real app, wired together through the app's own settings, seeded with one P2S gateway and the root CA, with every
// endpoint written to .sandbox/endpoints.json. Local tooling only: never deployed.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { startAzurite } from "../azurite";
import type { AzuriteHandle } from "../azurite";
import { createEmulatorCa } from "../emulators/framework";
import { buildP2sGateway, startArmEmulator } from "../emulators/arm";
import type { ArmEmulator } from "../emulators/arm";
import { startKeyVaultEmulator } from "../emulators/keyvault";
import type { KeyVaultEmulator } from "../emulators/keyvault";
import { createDurableBackend } from "../durable";
import type { Clock } from "../host/contracts";
import { startHost } from "../host";
import type { DevHost } from "../host";

export const SANDBOX_GATEWAY_ID =
  "/subscriptions/00000000-0000-0000-0000-00000000c0de/resourceGroups/rg-p2s-sandbox/providers/Microsoft.Network/virtualNetworkGateways/vgw-sandbox";

export interface SandboxEndpoints {
  readonly host: string;
  readonly functionKey: string;
  readonly masterKey: string;
  readonly eventGridKey: string;
  readonly ticketSecret: string;
  readonly keyVaultUrl: string;
  readonly armUrl: string;
  readonly armControlUrl: string;
  readonly storageConnectionString: string;
  readonly caFile: string;
  readonly gatewayIds: readonly string[];
}

export interface SandboxOptions {
  /** Host port (default 7071; 0 = any free port). */
  readonly port?: number;
  /** Where endpoints.json and the emulator CA go (default .sandbox). */
  readonly dir?: string;
  /** How the app is loaded: a module path (default dist/src/index.js) or a loader (jest). */
  readonly appEntry?: string | (() => unknown);
  readonly clock?: Clock;
  /** RSA size of the sandbox root (default 4096, as in production; tests pass 2048 for speed). */
  readonly rootKeySize?: 2048 | 3072 | 4096;
  /** Emulated gateway update duration (default 2000 ms). */
  readonly gatewayOperationMs?: number;
  /** Extra app settings (override the sandbox's). */
  readonly settings?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface Sandbox {
  readonly endpoints: SandboxEndpoints;
  readonly host: DevHost;
  readonly keyVault: KeyVaultEmulator;
  readonly arm: ArmEmulator;
  readonly azurite: AzuriteHandle;
  /** The app settings the host runs with (also set in process.env). */
  readonly settings: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = resolve(options.dir ?? ".sandbox");
  await mkdir(dir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  try {
    const T0=performance.now(); const mark=(n:string)=>{process.stderr.write(`PHASE ${n} ${Math.round(performance.now()-T0)}\n`)};
    const ca = await createEmulatorCa(); mark("ca");
    const caFile = join(dir, "emulator-ca.pem");
    await ca.writeCertPem(caFile);
    const [azurite, keyVault, arm] = await Promise.all([
      startAzurite().then((a)=>{mark("azurite");return a;}),
      startKeyVaultEmulator({ ca }).then((a)=>{mark("kv");return a;}),
      startArmEmulator({ ca, operationDurationMs: options.gatewayOperationMs ?? 2000 }),
    ]);
    stops.push(
      () => azurite.stop(),
      () => keyVault.stop(),
      () => arm.stop(),
    );
    arm.controls.seedGateway(SANDBOX_GATEWAY_ID, buildP2sGateway({ id: SANDBOX_GATEWAY_ID }));

    const settings: Record<string, string> = {
      AzureWebJobsStorage: azurite.connectionString,
      FUNCTIONS_WORKER_RUNTIME: "node",
      P2S_TASK_HUB: "p2ssandbox",
      P2S_CREDENTIAL: "localEmulator",
      P2S_TRUSTED_CA_FILE: caFile,
      KEY_VAULT_URL: keyVault.url,
      ARM_ENDPOINT: arm.url,
      GATEWAY_RESOURCE_IDS: SANDBOX_GATEWAY_ID,
      CA_ROOT_KEY_SIZE: String(options.rootKeySize ?? 4096),
      TICKETING_SHARED_SECRET: randomBytes(32).toString("base64url"),
      GATEWAY_POLL_INTERVAL_MS: "100",
      GATEWAY_BUSY_BACKOFF_MS: "500",
      GATEWAY_SYNC_QUIET_SECONDS: "1",
      GATEWAY_RECONCILE_SCHEDULE: "0 */5 * * * *",
      ...options.settings,
    };
    // The app reads its settings from process.env, as under the real Functions host.
    Object.assign(process.env, settings);
    const { resetConfig } = await import("../../src/config");
    resetConfig(); mark("config");

    const host = await startHost({
      appEntry: options.appEntry ?? resolve(__dirname, "../../src/index.js"),
      port: options.port ?? 7071,
      taskHubName: settings.P2S_TASK_HUB ?? "p2ssandbox",
      createDurableBackend,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      log,
    });
    stops.push(() => host.stop()); mark("host");

    // Bootstrap the root CA in Key Vault (non-exportable key, self-signed through keys/sign).
    const { ensureRootAudited } = await import("../../src/activities/ca-root");
    mark("importroot"); const root = await ensureRootAudited("sandbox"); mark("root");
    log(`sandbox: root CA ${root.subject} (${root.thumbprint}) ready`);

    // Upload it to the seeded gateway through the app's own writer (the reconcile timer, run once now).
    await adminInvoke(host, "gatewayReconcile"); mark("reconcile");

    const endpoints: SandboxEndpoints = {
      host: host.url,
      functionKey: host.keys.functionKey,
      masterKey: host.keys.masterKey,
      eventGridKey: host.keys.eventGridKey,
      ticketSecret: settings.TICKETING_SHARED_SECRET ?? "",
      keyVaultUrl: keyVault.url,
      armUrl: arm.url,
      armControlUrl: arm.controlUrl,
      storageConnectionString: azurite.connectionString,
      caFile,
      gatewayIds: [SANDBOX_GATEWAY_ID],
    };
    await writeFile(join(dir, "endpoints.json"), `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });

    mark("written"); let stopped = false;
    return {
      endpoints,
      host,
      keyVault,
      arm,
      azurite,
      settings,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopAll(stops);
      },
    };
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
}

async function adminInvoke(host: DevHost, functionName: string): Promise<void> {
  const response = await fetch(`${host.url}/admin/functions/${functionName}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-functions-key": host.keys.masterKey },
    body: JSON.stringify({ input: "" }),
  });
  if (response.status !== 202) throw new Error(`admin invocation of ${functionName} answered ${response.status}`);
}

async function stopAll(stops: (() => Promise<void>)[]): Promise<void> {
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch {
      // Keep stopping the rest; a half-stopped sandbox would hold ports.
    }
  }
}
