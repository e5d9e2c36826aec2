// The offline sandbox: Azurite, the HTTPS emulators (Key Vault, ARM, Graph) and the embedded Functions host running the
// real app, wired together through the app's own settings, seeded with one P2S gateway and the root CA, with every
// endpoint written to .sandbox/endpoints.json. Local tooling only: never deployed.
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite, startAzuriteHttpsBlob } from "../azurite";
import { startStorageFaultProxy } from "../storage-fault-proxy";
import type { StorageFaultProxy } from "../storage-fault-proxy";
import type { AzuriteHandle, HttpsBlobHandle } from "../azurite";
import { createEmulatorCa } from "../emulators/framework";
import type { EmulatorCa, EmulatorClock } from "../emulators/framework";
import { buildP2sGateway, startArmEmulator } from "../emulators/arm";
import type { ArmEmulator } from "../emulators/arm";
import { startGraphEmulator } from "../emulators/graph";
import type { GraphEmulator } from "../emulators/graph";
import { startKeyVaultEmulator } from "../emulators/keyvault";
import type { KeyVaultEmulator } from "../emulators/keyvault";
import { createDurableBackend } from "../durable";
import type { AtLeastOnceOptions } from "../durable/redelivery";
import type { AfterEffectFailureOptions } from "../durable/after-effect-failures";
import type { Clock } from "../host/contracts";
import { preloadApp, startHost } from "../host";
import type { DevHost } from "../host";
import { seedSandboxDirectory } from "./graph-seed";
import type { IdentityEmulator } from "../emulators/identity";
import { identitySettings, sandboxIdentityEndpoints, startSandboxIdentity } from "./sandbox-identity";
import type { SandboxIdentityEndpoints } from "./sandbox-identity";
import { describeStartup, StartupPhases } from "./startup-phases";
import type { SandboxStartup } from "./startup-phases";

export type { SandboxStartup, StartupPhase } from "./startup-phases";
export { SANDBOX_API_AUDIENCE, SANDBOX_API_CLIENT_ID, SANDBOX_TENANT_ID, SANDBOX_USER_UPN } from "./sandbox-identity";

export const SANDBOX_GATEWAY_ID =
  "/subscriptions/00000000-0000-0000-0000-00000000c0de/resourceGroups/rg-p2s-sandbox/providers/Microsoft.Network/virtualNetworkGateways/vgw-sandbox";

export interface SandboxEndpoints extends SandboxIdentityEndpoints {
  readonly host: string;
  readonly functionKey: string;
  readonly masterKey: string;
  readonly eventGridKey: string;
  readonly ticketSecret: string;
  readonly keyVaultUrl: string;
  readonly armUrl: string;
  readonly armControlUrl: string;
  readonly storageConnectionString: string;
  /**
   * Blob service (https, Entra ID tokens) of the files shared by user-delegation SAS links: the delivered PKCS#12s
   * (DELIVERY_BLOB_SERVICE_URI). A second, blob-only Azurite; see dev/emulators/README.md.
   */
  readonly linkBlobServiceUri: string;
  readonly caFile: string;
  readonly gatewayIds: readonly string[];
  /** Microsoft Graph (the emulator): requests go to `${graphUrl}/v1.0/...`; its controls to `${graphUrl}/_emulator/...`. */
  readonly graphUrl: string;
  /** Object id of the VPN group (ENTRA_VPN_GROUP_ID) in the emulated directory. */
  readonly vpnGroupId: string;
  /** The Storage queue hrEvents reads (HR_EVENTS_QUEUE), on the sandbox's storage account. */
  readonly hrEventsQueue: string;
  /** ENTRA_NOTIFICATION_CLIENT_STATE: the clientState Graph notifications to the app must carry. */
  readonly entraClientState: string;
  /** Where Graph sends change notifications (the app's webhook); its lifecycle notifications go to .../lifecycle. */
  readonly entraNotificationUrl: string;
}

export interface SandboxOptions {
  /** Host port (default 7071; 0 = any free port). */
  readonly port?: number;
  /** Where endpoints.json and the emulator CA go (default .sandbox). */
  readonly dir?: string;
  /** How the app is loaded: a module path (default dist/src/index.js) or a loader (jest). */
  readonly appEntry?: string | (() => unknown);
  readonly clock?: Clock;
  /** The ARM emulator's clock (default the system clock): a test that steers it ends gateway operations on cue. */
  readonly armClock?: EmulatorClock;
  /** The Key Vault emulator's clock (default the system clock): also what its injected latency sleeps on. */
  readonly keyVaultClock?: EmulatorClock;
  /** RSA size of the sandbox root (default 4096, as in production; tests pass 2048 for speed). */
  readonly rootKeySize?: 2048 | 3072 | 4096;
  /** Emulated gateway update duration (default 2000 ms). */
  readonly gatewayOperationMs?: number;
  /** Retry-After (s) on gateway operation polls; default 10 as Azure sends, null none (tests, to run fast). */
  readonly gatewayRetryAfterSeconds?: number | null;
  /** How many P2S gateways to seed and configure (default 1: vgw-sandbox; then vgw-sandbox-2...). */
  readonly gateways?: number;
  /**
   * An Azurite (or storage account) already running, e.g. the test run's, used instead of starting one. It is not
   * stopped with the sandbox, and the sandbox gives its ledger tables and profile container names of its own so
   * several sandboxes can share the account.
   */
  readonly storageConnectionString?: string;
  /**
   * At-least-once delivery in the durable backend (activities run twice, events arrive twice, as the Azure Storage
   * backend can do): for chaos runs and the orchestration tests. Default: exactly once.
   */
  readonly atLeastOnce?: AtLeastOnceOptions;
  /** Activities that fail after their side effect (dev/durable/after-effect-failures.ts), for chaos runs. Default off. */
  readonly afterEffectFailures?: AfterEffectFailureOptions;
  /**
   * Puts the seeded storage fault proxy (dev/storage-fault-proxy.ts) between the app and its storage: the app's
   * AzureWebJobsStorage points at the proxy, whose faults stay off until `storageFaults.configure` is called. For chaos
   * runs. Default: no proxy.
   */
  readonly storageFaultSeed?: number;
  /** More users made direct members of the VPN group, besides the seeded ones (dev/sandbox/graph-seed.ts). */
  readonly vpnGroupMembers?: readonly string[];
  /**
   * The directory drives access (ENTRA_EVENTS_ENABLED): the Graph subscriptions are made at start-up, change
   * notifications reach the webhook, Graph's Event Grid events reach entraEvents. Default false.
   */
  readonly entraEvents?: boolean;
  /** The Graph emulator's clock (default the system clock): subscription expiry and delta token age follow it. */
  readonly graphClock?: EmulatorClock;
  /** Extra app settings (override the sandbox's). */
  readonly settings?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface Sandbox {
  readonly endpoints: SandboxEndpoints;
  readonly host: DevHost;
  readonly keyVault: KeyVaultEmulator;
  readonly arm: ArmEmulator;
  readonly graph: GraphEmulator;
  /** The sandbox's Entra ID: mint more tokens (controls.userToken, controls.sign) in tests. */
  readonly identity: IdentityEmulator;
  /** The Azurite the sandbox started; undefined when it was given storageConnectionString. */
  readonly azurite: AzuriteHandle | undefined;
  /** The blob-only HTTPS Azurite (oauth basic) that makes user-delegation links: always the sandbox's own. */
  readonly linkStorage: HttpsBlobHandle;
  /** The storage fault proxy in front of the app's storage, when `storageFaultSeed` was given. */
  readonly storageFaults: StorageFaultProxy | undefined;
  /** The app settings the host runs with (also set in process.env). */
  readonly settings: Readonly<Record<string, string>>;
  /** The run's emulator CA (the app trusts it): tests serve other HTTPS endpoints with it, e.g. callback receivers. */
  readonly ca: EmulatorCa;
  /** How long start-up took, phase by phase. */
  readonly startup: SandboxStartup;
  stop(): Promise<void>;
}

type Stop = () => Promise<void>;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = resolve(options.dir ?? ".sandbox");
  const appEntry = options.appEntry ?? resolve(__dirname, "../../src/index.js");
  const phases = new StartupPhases();
  const stops: Stop[] = [];
  const endpointsFile = join(dir, "endpoints.json");
  const caFile = join(dir, "emulator-ca.pem");
  await mkdir(dir, { recursive: true });
  // A previous run's file would announce endpoints that are gone; the file appears again once this run is ready.
  await rm(endpointsFile, { force: true });
  try {
    // The slow, independent parts run at once: Azurite is a child process, the CA's key pairs are generated on the
    // thread pool, and the app import keeps the main thread busy meanwhile. Nothing in the app reads its settings at
    // import time, so it can load before they are known.
    const azuriteStarted =
      options.storageConnectionString === undefined
        ? owned(
            stops,
            phases.time("azurite", () => startAzurite()),
          )
        : Promise.resolve(undefined);
    const caCreated = phases.time("ca", async () => {
      const ca = await createEmulatorCa();
      await ca.writeCertPem(caFile);
      return ca;
    });
    const appLoaded = phases.time("app", () =>
      typeof appEntry === "string" ? preloadApp(appEntry) : Promise.resolve().then(appEntry),
    );
    await Promise.allSettled([azuriteStarted, caCreated, appLoaded]);
    const azurite = await azuriteStarted;
    const ca = await caCreated;
    await appLoaded;
    const storage = options.storageConnectionString ?? azurite?.connectionString ?? "";
    const storageFaults =
      options.storageFaultSeed === undefined
        ? undefined
        : await owned(stops, startStorageFaultProxy(storage, { seed: options.storageFaultSeed }));
    const storageConnectionString = storageFaults?.connectionString ?? storage;

    const keyVaultStarted = owned(
      stops,
      startKeyVaultEmulator({ ca, ...(options.keyVaultClock === undefined ? {} : { clock: options.keyVaultClock }) }),
    );
    const armStarted = owned(
      stops,
      startArmEmulator({
        ca,
        operationDurationMs: options.gatewayOperationMs ?? 2000,
        ...(options.armClock === undefined ? {} : { clock: options.armClock }),
        ...(options.gatewayRetryAfterSeconds === undefined
          ? {}
          : { pollRetryAfterSeconds: options.gatewayRetryAfterSeconds }),
      }),
    );
    const linkStorageStarted = owned(stops, startAzuriteHttpsBlob(ca.serverTlsOptions()));
    const graphStarted = owned(
      stops,
      startGraphEmulator({ ca, ...(options.graphClock === undefined ? {} : { clock: options.graphClock }) }),
    );
    const identityStarted = owned(stops, startSandboxIdentity(ca));
    await phases.time("emulators", () =>
      Promise.allSettled([keyVaultStarted, armStarted, graphStarted, identityStarted, linkStorageStarted]),
    );
    const linkStorage = await linkStorageStarted;
    const [keyVault, arm, graph, identity] = [
      await keyVaultStarted,
      await armStarted,
      await graphStarted,
      await identityStarted,
    ];
    seedSandboxDirectory(graph, options.vpnGroupMembers);
    const gatewayIds = sandboxGatewayIds(options.gateways ?? 1);
    for (const id of gatewayIds) arm.controls.seedGateway(id, buildP2sGateway({ id }));

    const settings: Record<string, string> = {
      AzureWebJobsStorage: storageConnectionString,
      FUNCTIONS_WORKER_RUNTIME: "node",
      P2S_TASK_HUB: "p2ssandbox",
      P2S_CREDENTIAL: "localEmulator",
      P2S_TRUSTED_CA_FILE: caFile,
      KEY_VAULT_URL: keyVault.url,
      ARM_ENDPOINT: arm.url,
      GRAPH_ENDPOINT: graph.url,
      // The VPN group gate is on, as it should be in production: only the group's enabled members get certificates.
      ENTRA_VPN_GROUP_ID: graph.vpnGroupId,
      GATEWAY_RESOURCE_IDS: gatewayIds.join(","),
      CA_ROOT_KEY_SIZE: String(options.rootKeySize ?? 4096),
      TICKETING_SHARED_SECRET: randomBytes(32).toString("base64url"),
      GATEWAY_POLL_INTERVAL_MS: "100",
      GATEWAY_BUSY_BACKOFF_MS: "500",
      GATEWAY_COALESCE_MS: "1000",
      GATEWAY_RECONCILE_SCHEDULE: "0 */5 * * * *",
      EXPIRY_CHECK_SCHEDULE: "0 0 6 * * *",
      ENTRA_EVENTS_ENABLED: options.entraEvents === true ? "true" : "false",
      ENTRA_NOTIFICATION_CLIENT_STATE: randomBytes(32).toString("base64url"),
      ENTRA_SUBSCRIPTIONS_SCHEDULE: "0 0 */6 * * *",
      ENTRA_RECONCILE_SCHEDULE: "0 */15 * * * *",
      // Profile packages come from the ARM emulator's own port (standing in for blob storage).
      PROFILE_DOWNLOAD_HOSTS: new URL(arm.controlUrl).hostname,
      PROFILE_REFRESH_SCHEDULE: "0 0 3 * * 1",
      PROFILE_DEBOUNCE_MS: "2000",
      ...identitySettings(identity),
      // The README's examples and the seeded users are in contoso.com; anything else is refused at the edge.
      ALLOWED_UPN_DOMAINS: "contoso.com",
      HR_EVENTS_QUEUE: "hr-events",
      DELIVERY_BLOB_SERVICE_URI: linkStorage.blobServiceUri,
      ...(options.storageConnectionString === undefined ? {} : namesInSharedStorage()),
      ...options.settings,
    };
    // The app reads its settings from process.env, as under the real Functions host.
    Object.assign(process.env, settings);
    const { resetConfig } = await import("../../src/config");
    resetConfig();

    // The HR queue exists before its trigger polls it, as a deployment creates it (the trigger never does).
    await new QueueClient(storageConnectionString, settings.HR_EVENTS_QUEUE ?? "hr-events").createIfNotExists();

    const host = await phases.time("host", () =>
      startHost({
        // The app is loaded already: a module path is imported once, and a loader is not run twice.
        appEntry: typeof appEntry === "string" ? appEntry : () => appLoaded,
        port: options.port ?? 7071,
        taskHubName: settings.P2S_TASK_HUB ?? "p2ssandbox",
        createDurableBackend: (durableOptions) =>
          createDurableBackend({
            ...durableOptions,
            ...(options.atLeastOnce === undefined ? {} : { atLeastOnce: options.atLeastOnce }),
            ...(options.afterEffectFailures === undefined ? {} : { afterEffectFailures: options.afterEffectFailures }),
          }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        log,
      }),
    );
    stops.push(() => host.stop());

    // Bootstrap the root CA in Key Vault (non-exportable key, self-signed through keys/sign).
    const root = await phases.time("root", async () => {
      const { ensureRootAudited } = await import("../../src/activities/ca-root");
      return ensureRootAudited("sandbox");
    });
    log(`sandbox: root CA ${root.subject} (${root.thumbprint}) ready`);

    // Upload it to the seeded gateway through the app's own writer (the reconcile timer, run once now).
    await phases.time("gateway", () => adminInvoke(host, "gatewayReconcile"));

    // The webhook's URL is known once the host listens: Graph is told it, and the partner topic's events go to
    // entraEvents through the host's Event Grid route.
    const entraNotificationUrl = `${host.url}/api/v1/entra/notifications`;
    if (options.entraEvents === true) {
      settings.ENTRA_NOTIFICATION_URL = entraNotificationUrl;
      process.env.ENTRA_NOTIFICATION_URL = entraNotificationUrl;
      resetConfig();
      graph.subscriptions.setEventGridDestination({
        url: `${host.url}/runtime/webhooks/eventgrid?functionName=entraEvents&code=${host.keys.eventGridKey}`,
        headers: {},
      });
      await adminInvoke(host, "entraSubscriptions");
    }

    const endpoints: SandboxEndpoints = {
      host: host.url,
      functionKey: host.keys.functionKey,
      masterKey: host.keys.masterKey,
      eventGridKey: host.keys.eventGridKey,
      ticketSecret: settings.TICKETING_SHARED_SECRET ?? "",
      keyVaultUrl: keyVault.url,
      armUrl: arm.url,
      armControlUrl: arm.controlUrl,
      storageConnectionString,
      linkBlobServiceUri: linkStorage.blobServiceUri,
      caFile,
      gatewayIds,
      graphUrl: graph.url,
      vpnGroupId: graph.vpnGroupId,
      hrEventsQueue: settings.HR_EVENTS_QUEUE ?? "hr-events",
      entraClientState: settings.ENTRA_NOTIFICATION_CLIENT_STATE ?? "",
      entraNotificationUrl,
      ...(await sandboxIdentityEndpoints(identity)),
    };
    // Written whole under another name, then renamed: a reader polling for the file never sees half of it.
    await writeFile(`${endpointsFile}.tmp`, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
    await rename(`${endpointsFile}.tmp`, endpointsFile);
    const startup = phases.finish();
    log(`sandbox: started in ${describeStartup(startup)}`);

    let stopped = false;
    return {
      endpoints,
      ca,
      host,
      keyVault,
      arm,
      graph,
      identity,
      azurite,
      linkStorage,
      storageFaults,
      settings,
      startup,
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

/** The seeded gateways' resource ids: the first is SANDBOX_GATEWAY_ID. */
function sandboxGatewayIds(count: number): string[] {
  return Array.from({ length: Math.max(1, count) }, (_, i) =>
    i === 0 ? SANDBOX_GATEWAY_ID : `${SANDBOX_GATEWAY_ID}-${i + 1}`,
  );
}

/** Registers the started thing's stop as soon as it is up, so a failure elsewhere in start-up still stops it. */
function owned<T extends { stop(): Promise<void> }>(stops: Stop[], starting: Promise<T>): Promise<T> {
  return starting.then((started) => {
    stops.push(() => started.stop());
    return started;
  });
}

/** Table and container names of this sandbox alone, for a storage account others use too. */
function namesInSharedStorage(): Record<string, string> {
  const suffix = randomBytes(5).toString("hex");
  return {
    LEDGER_TABLE_PREFIX: `sandbox${suffix}`,
    PROFILE_CONTAINER: `vpn-profiles-${suffix}`,
    // Every sandbox's host polls its HR queue: sandboxes sharing an account must not take each other's messages.
    HR_EVENTS_QUEUE: `hr-events-${suffix}`,
  };
}

async function adminInvoke(host: DevHost, functionName: string): Promise<void> {
  const response = await fetch(`${host.url}/admin/functions/${functionName}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-functions-key": host.keys.masterKey },
    body: JSON.stringify({ input: "" }),
  });
  if (response.status !== 202) throw new Error(`admin invocation of ${functionName} answered ${response.status}`);
}

async function stopAll(stops: Stop[]): Promise<void> {
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch {
      // Keep stopping the rest; a half-stopped sandbox would hold ports.
    }
  }
}
