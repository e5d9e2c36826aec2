// What the stores hold at the end of a chaos run, read through the real SDKs (the ledger's tables, each gateway by an
// ARM GET, Key Vault's certificates) and the dev host (durable instances, the run's log), with every place a secret
// must not be: durable history, logs, every table (ledger, audit, requests...), every blob but the deliveries.
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import type { LocalDurableBackend } from "../../dev/durable";
import type { Sandbox } from "../../dev/sandbox/sandbox";
import { linkBlobService } from "../../src/clients/blob-links";
import { GatewayClient, parseGatewayId } from "../../src/clients/gateway";
import { keyVaultClients } from "../../src/clients/keyvault";
import { readVersions } from "../../src/clients/ca-root-versions";
import { Ledger } from "../../src/clients/ledger";
import { RootRegistry } from "../../src/clients/root-registry";
import { getConfig } from "../../src/config";
import { CERTIFICATE_STATUSES } from "../../src/domain/ledger";
import { publicRequestId } from "../../src/domain/requests";
import { thumbprintOf } from "../../src/domain/thumbprint";
import type { ChaosSnapshot, LedgerCertificate, RequestEnd, RootView, VaultCertificate } from "./invariants";
import type { SandboxApi } from "./http";
import type { ScannedItem } from "./secret-scan";

/** The orchestrations that serve a request (the eternal writers, regenerators and timers' runs are not requests). */
export const REQUEST_ORCHESTRATIONS = new Set([
  "lifecycleRequest",
  "issueClientCertificate",
  "offboardUser",
  "deliverCertificate",
  "entraChange",
  "sendCallback",
  "rootRotation",
]);

/** The public requests (GET /api/v1/requests/{id}). */
const PUBLIC_REQUESTS = new Set(["lifecycleRequest", "issueClientCertificate", "offboardUser", "rootRotation"]);

export interface SnapshotSources {
  readonly sandbox: Sandbox;
  readonly durable: LocalDurableBackend;
  readonly api: SandboxApi;
  readonly logs: readonly string[];
  readonly offboardedUsers: readonly string[];
  readonly activeUsers: readonly string[];
  readonly passphrases: readonly string[];
  /** Azurite's own connection string (not through the fault proxy). */
  readonly storage: string;
  /** The account is shared: scan only this sandbox's tables (its prefix) and profile container. */
  readonly sharedStorage: boolean;
}

const hex = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString("hex").toUpperCase();

/** Every managed root: its registry state, and whether Key Vault still has an enabled version of it. */
async function rootViews(): Promise<RootView[]> {
  const config = getConfig();
  const kv = keyVaultClients(config);
  const rows = await RootRegistry.fromConfig(config).list();
  return Promise.all(
    rows.map(async (r) => ({
      name: r.name,
      state: r.state,
      ...(r.thumbprint === undefined ? {} : { thumbprint: r.thumbprint.toUpperCase() }),
      vaultEnabled: (await readVersions(kv, r.name)).some((v) => v.enabled),
    })),
  );
}

/** The ledger's certificates; an entry with no root recorded is of the first root (as the app reads it). */
async function ledgerCertificates(firstRoot: string | undefined): Promise<LedgerCertificate[]> {
  const ledger = Ledger.fromConfig(getConfig());
  const all = (await Promise.all(CERTIFICATE_STATUSES.map((status) => ledger.listByStatus(status)))).flat();
  return all.map((r) => ({
    userKey: r.userKey,
    certificateName: r.certificateName,
    status: r.status,
    requestId: r.requestId,
    ...(r.thumbprint === undefined ? {} : { thumbprint: r.thumbprint.toUpperCase() }),
    ...(r.notAfter === undefined ? {} : { notAfterMs: r.notAfter.getTime() }),
    inKeyVault: r.certificatePem === undefined,
    ...(r.rootThumbprint === undefined
      ? firstRoot === undefined
        ? {}
        : { rootThumbprint: firstRoot }
      : { rootThumbprint: r.rootThumbprint.toUpperCase() }),
  }));
}

async function vaultCertificates(): Promise<VaultCertificate[]> {
  const config = getConfig();
  const { certificates } = keyVaultClients(config);
  const found: VaultCertificate[] = [];
  for await (const properties of certificates.listPropertiesOfCertificates()) {
    const name = properties.name ?? "";
    if (!name.startsWith(config.CLIENT_CERT_NAME_PREFIX)) continue;
    const thumbprint = hex(properties.x509Thumbprint);
    found.push({ name, enabled: properties.enabled !== false, ...(thumbprint === undefined ? {} : { thumbprint }) });
  }
  return found;
}

async function gatewayRevocations(sandbox: Sandbox): Promise<ChaosSnapshot["gateways"]> {
  const client = new GatewayClient(getConfig(), { pollIntervalMs: 100 });
  return Promise.all(
    sandbox.endpoints.gatewayIds.map(async (gatewayId) => {
      const read = await client.read(parseGatewayId(gatewayId));
      return {
        gatewayId,
        revoked: read.state.revoked.map((r) => r.thumbprint.toUpperCase()),
        roots: read.state.roots.map((r) => thumbprintOf(Buffer.from(r.publicCertData, "base64")).toUpperCase()),
      };
    }),
  );
}

function reasonOf(output: unknown): string | undefined {
  if (typeof output === "string") return output;
  if (output === null || output === undefined) return undefined;
  return JSON.stringify(output);
}

/** The user an instance's input names (a request's or a directory change's), lower-cased. */
function userOf(input: unknown): string | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  const { upn, work } = input as { upn?: unknown; work?: unknown };
  if (typeof upn === "string" && upn !== "") return upn.toLowerCase();
  return userOf(work);
}

function carriesRecord(input: unknown): boolean {
  return typeof input === "object" && input !== null && typeof (input as { record?: unknown }).record === "object";
}

async function requestEnds(durable: LocalDurableBackend, api: SandboxApi): Promise<RequestEnd[]> {
  const ends: RequestEnd[] = [];
  for (const instanceId of durable.instanceIds()) {
    const instance = durable.inspect(instanceId);
    if (instance === undefined || !REQUEST_ORCHESTRATIONS.has(instance.name)) continue;
    let status: string | undefined;
    let unfollowable: number | undefined;
    let user = userOf(instance.input);
    let reason = instance.runtimeStatus === "Completed" ? undefined : reasonOf(instance.output);
    if (PUBLIC_REQUESTS.has(instance.name) && instance.parentInstanceId === undefined) {
      const view = await api.admin("GET", `/api/v1/requests/${publicRequestId(instanceId)}`);
      // A request of its own carries its record in its input (the instance writes it first): GET must find it.
      if (view.status !== 200 && carriesRecord(instance.input)) unfollowable = view.status;
      if (view.status === 200) {
        status = typeof view.json.status === "string" ? view.json.status : undefined;
        if (typeof view.json.error === "string") reason = view.json.error;
        if (typeof view.json.upn === "string" && view.json.upn !== "") user = view.json.upn.toLowerCase();
      }
    }
    // A rotation's output says how it ended: completed, or cancelled.
    const outcome =
      instance.name === "rootRotation"
        ? (instance.output as { status?: unknown } | null | undefined)?.status
        : undefined;
    ends.push({
      instanceId,
      ...(typeof outcome === "string" ? { outcome } : {}),
      name: instance.name,
      runtimeStatus: instance.runtimeStatus,
      ...(user === undefined ? {} : { user }),
      ...(status === undefined ? {} : { status }),
      ...(reason === undefined ? {} : { reason }),
      ...(unfollowable === undefined ? {} : { unfollowable }),
    });
  }
  return ends;
}

async function scannedPlaces(sources: SnapshotSources): Promise<ScannedItem[]> {
  const items: ScannedItem[] = [];
  for (const instanceId of sources.durable.instanceIds()) {
    const instance = sources.durable.inspect(instanceId);
    if (instance === undefined) continue;
    const { input, output, customStatus, history } = instance;
    items.push({
      where: `durable history of ${instanceId}`,
      text: JSON.stringify({ input, output, customStatus, history }),
    });
  }
  items.push({ where: "the run's log", text: sources.logs.join("\n") });
  const tables = TableServiceClient.fromConnectionString(sources.storage, { allowInsecureConnection: true });
  for await (const table of tables.listTables()) {
    const name = table.name ?? "";
    if (sources.sharedStorage && !name.startsWith(getConfig().LEDGER_TABLE_PREFIX)) continue;
    const client = TableClient.fromConnectionString(sources.storage, name, {
      allowInsecureConnection: true,
    });
    const rows: unknown[] = [];
    for await (const entity of client.listEntities()) rows.push(entity);
    items.push({ where: `table ${name}`, text: JSON.stringify(rows) });
  }
  const config = getConfig();
  const accounts: [string, BlobServiceClient][] = [
    ["storage", BlobServiceClient.fromConnectionString(sources.storage)],
    ["link storage", linkBlobService(config)],
  ];
  for (const [account, service] of accounts) {
    for await (const container of service.listContainers()) {
      if (account === "link storage" && container.name === config.DELIVERY_CONTAINER) continue;
      if (account === "storage" && sources.sharedStorage && container.name !== config.PROFILE_CONTAINER) continue;
      const client = service.getContainerClient(container.name);
      for await (const blob of client.listBlobsFlat()) {
        const bytes = await client.getBlobClient(blob.name).downloadToBuffer();
        items.push({ where: `blob ${account}/${container.name}/${blob.name}`, bytes });
      }
    }
  }
  return items;
}

export async function takeSnapshot(sources: SnapshotSources): Promise<ChaosSnapshot> {
  const roots = await rootViews();
  const first = roots.find((r) => r.name === getConfig().CA_ROOT_NAME)?.thumbprint;
  const [ledger, vault, gateways, requests, scanned] = [
    await ledgerCertificates(first),
    await vaultCertificates(),
    await gatewayRevocations(sources.sandbox),
    await requestEnds(sources.durable, sources.api),
    await scannedPlaces(sources),
  ];
  return {
    nowMs: Date.now(),
    offboardedUsers: sources.offboardedUsers.map((u) => u.toLowerCase()),
    activeUsers: sources.activeUsers.map((u) => u.toLowerCase()),
    roots,
    ledger,
    vault,
    gateways,
    requests,
    scanned,
    passphrases: sources.passphrases,
  };
}
