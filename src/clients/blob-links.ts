// Read-only links to one blob: a user-delegation SAS (sp=r, spr=https) signed with a key Storage hands to the app's
// Entra ID identity, never with an account key, so a link can be revoked by revoking the delegation keys and is
// audited against the identity that made it. The client must therefore be built with a token credential over https:
// linkBlobService() builds the one for DELIVERY_BLOB_SERVICE_URI.
import { isTokenCredential } from "@azure/core-auth";
import {
  BlobSASPermissions,
  BlobServiceClient,
  SASProtocol,
  generateBlobSASQueryParameters,
} from "@azure/storage-blob";
import type { StoragePipelineOptions } from "@azure/storage-blob";
import type { Config } from "../config";
import { tlsClientOptions } from "./azure-options";
import { getCredential } from "./credential";

/**
 * The SAS version the links are signed for. Pinned rather than the SDK's newest (2026-04-06), whose string-to-sign
 * Azurite 3.35 does not know yet; Azure accepts every version from 2020-12-06 on, and this one signs the same fields.
 */
export const LINK_SAS_VERSION = "2025-11-05";
/** Storage refuses a user delegation key that lasts longer than 7 days. */
export const MAX_LINK_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** The link (and its key) is valid from a little before `now`, for clocks that run slightly behind Storage's. */
export const LINK_CLOCK_SKEW_MS = 5 * 60 * 1000;

export class BlobLinkError extends Error {
  override readonly name = "BlobLinkError";
}

export interface ReadOnlyLinkOptions {
  /** Content-Disposition the download is served with (rscd), e.g. `attachment; filename="alice.p12"`. */
  readonly contentDisposition?: string;
  /** Content-Type the download is served with (rsct). */
  readonly contentType?: string;
}

/** Why `service` cannot make a user-delegation link, or undefined when it can. */
export function linkServiceRefusal(service: Pick<BlobServiceClient, "url" | "credential">): string | undefined {
  if (!service.url.startsWith("https://")) return "a read-only link needs the blob service over https";
  if (!isTokenCredential(service.credential)) {
    return "a read-only link is signed with a user delegation key: the blob client needs an Entra ID token credential, never an account key";
  }
  return undefined;
}

/**
 * A URL that reads `container/blob` until `expiresOn`, over https only, and does nothing else (no write, delete or
 * list). `now` is the caller's clock (tests pass theirs). Throws BlobLinkError on a bad lifetime or client.
 */
export async function readOnlyLink(
  service: BlobServiceClient,
  container: string,
  blob: string,
  expiresOn: Date,
  now: Date,
  options: ReadOnlyLinkOptions = {},
): Promise<string> {
  const refused = linkServiceRefusal(service);
  if (refused !== undefined) throw new BlobLinkError(refused);
  const lifetime = expiresOn.getTime() - now.getTime();
  if (!(lifetime > 0)) throw new BlobLinkError("a link must expire after now");
  if (lifetime > MAX_LINK_LIFETIME_MS) throw new BlobLinkError("a user-delegation link lasts at most 7 days");
  const startsOn = new Date(now.getTime() - LINK_CLOCK_SKEW_MS);
  const key = await service.getUserDelegationKey(startsOn, expiresOn);
  const query = generateBlobSASQueryParameters(
    {
      containerName: container,
      blobName: blob,
      permissions: BlobSASPermissions.parse("r"),
      protocol: SASProtocol.Https,
      startsOn,
      expiresOn,
      version: LINK_SAS_VERSION,
      ...(options.contentDisposition === undefined ? {} : { contentDisposition: options.contentDisposition }),
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
    },
    key,
    service.accountName,
  );
  return `${service.getContainerClient(container).getBlobClient(blob).url}?${query.toString()}`;
}

type LinkStorageConfig = Pick<
  Config,
  | "DELIVERY_BLOB_SERVICE_URI"
  | "AzureWebJobsStorage__blobServiceUri"
  | "P2S_CREDENTIAL"
  | "AZURE_CLIENT_ID"
  | "P2S_TRUSTED_CA_FILE"
>;

/** The blob service of the account whose files are shared by link, or undefined when none is configured. */
export function linkBlobServiceUri(config: LinkStorageConfig): string | undefined {
  return config.DELIVERY_BLOB_SERVICE_URI ?? config.AzureWebJobsStorage__blobServiceUri;
}

/**
 * A client of that account with the app's token credential, able to make read-only links. Throws when no blob
 * service URI is configured (a connection string's account key cannot sign a user-delegation link).
 */
export function linkBlobService(config: LinkStorageConfig): BlobServiceClient {
  const uri = linkBlobServiceUri(config);
  if (uri === undefined) {
    throw new BlobLinkError(
      "DELIVERY_BLOB_SERVICE_URI (or AzureWebJobsStorage__blobServiceUri) is not set: links need an identity-based blob service",
    );
  }
  // StoragePipelineOptions omits tlsOptions, but the storage pipeline hands its options to core-client, which applies
  // them: how the emulators' CA (P2S_TRUSTED_CA_FILE) is trusted without turning verification off.
  const options = { ...tlsClientOptions(config), retryOptions: { maxTries: 4 } };
  const pipelineOptions: StoragePipelineOptions = options;
  return new BlobServiceClient(uri, getCredential(config), pipelineOptions);
}
