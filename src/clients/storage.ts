// Typed access to the app's storage account: tables (the ledger) and blobs (profile packages). A connection string
// locally (Azurite), identity-based service URIs in Azure.
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import type { Config } from "../config";
import { isLoopbackUrl } from "../config";
import { getCredential } from "./credential";

type StorageConfig = Pick<
  Config,
  | "AzureWebJobsStorage"
  | "AzureWebJobsStorage__blobServiceUri"
  | "AzureWebJobsStorage__tableServiceUri"
  | "P2S_CREDENTIAL"
  | "AZURE_CLIENT_ID"
>;

/** Reads one endpoint out of a storage connection string, for the http-to-Azurite allowance. */
function connectionStringEndpoint(connectionString: string, key: "TableEndpoint" | "BlobEndpoint"): string | undefined {
  for (const part of connectionString.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === key) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Plain http is allowed only to a loopback Azurite. */
function insecureAllowed(endpoint: string | undefined): boolean {
  return endpoint !== undefined && endpoint.startsWith("http://") && isLoopbackUrl(endpoint);
}

/** Retry policy of the SDKs; health probes pass one try so an outage answers at once. */
export interface StorageClientOptions {
  maxTries?: number;
}

export function tableServiceClient(config: StorageConfig, options: StorageClientOptions = {}): TableServiceClient {
  const retryOptions = options.maxTries === undefined ? {} : { retryOptions: { maxRetries: options.maxTries - 1 } };
  const cs = config.AzureWebJobsStorage;
  if (cs !== undefined) {
    return TableServiceClient.fromConnectionString(cs, {
      ...retryOptions,
      allowInsecureConnection: insecureAllowed(connectionStringEndpoint(cs, "TableEndpoint")),
    });
  }
  return new TableServiceClient(
    requireUri(config.AzureWebJobsStorage__tableServiceUri),
    getCredential(config),
    retryOptions,
  );
}

export function tableClient(config: StorageConfig, tableName: string): TableClient {
  const cs = config.AzureWebJobsStorage;
  if (cs !== undefined) {
    return TableClient.fromConnectionString(cs, tableName, {
      allowInsecureConnection: insecureAllowed(connectionStringEndpoint(cs, "TableEndpoint")),
    });
  }
  return new TableClient(requireUri(config.AzureWebJobsStorage__tableServiceUri), tableName, getCredential(config));
}

export function blobServiceClient(config: StorageConfig, options: StorageClientOptions = {}): BlobServiceClient {
  const retryOptions = options.maxTries === undefined ? {} : { retryOptions: { maxTries: options.maxTries } };
  const cs = config.AzureWebJobsStorage;
  if (cs !== undefined) return BlobServiceClient.fromConnectionString(cs, retryOptions);
  return new BlobServiceClient(
    requireUri(config.AzureWebJobsStorage__blobServiceUri),
    getCredential(config),
    retryOptions,
  );
}

function requireUri(uri: string | undefined): string {
  // config validation guarantees the URIs when no connection string is set.
  if (uri === undefined) throw new Error("storage service URI missing from validated configuration");
  return uri;
}

/** Probes blob and table reachability (health check). Throws with the failing service named. */
export async function probeStorage(config: StorageConfig, abortSignal: AbortSignal): Promise<string> {
  try {
    await blobServiceClient(config, { maxTries: 1 }).getProperties({ abortSignal });
  } catch (error) {
    throw new Error(`blob service unreachable: ${describeError(error)}`);
  }
  try {
    await tableServiceClient(config, { maxTries: 1 }).listTables().byPage({ maxPageSize: 1 }).next();
  } catch (error) {
    throw new Error(`table service unreachable: ${describeError(error)}`);
  }
  return "blob and table services answered";
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string"
      ? `${code}: ${error.message.split("\n")[0] ?? ""}`
      : (error.message.split("\n")[0] ?? "");
  }
  return String(error);
}
