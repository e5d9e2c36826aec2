// The delivered PKCS#12 in its private container: written once per delivery (a retry overwrites it), read only through
// a read-only link, deleted after the download or at expiry. No metadata: nothing about the passphrase or the user.
import type { BlobServiceClient } from "@azure/storage-blob";

export async function uploadPackage(
  service: BlobServiceClient,
  container: string,
  blobName: string,
  pfx: Uint8Array,
): Promise<void> {
  const containerClient = service.getContainerClient(container);
  // No `access` option: the container is private (no anonymous read of blobs or listing).
  await containerClient.createIfNotExists();
  await containerClient.getBlockBlobClient(blobName).uploadData(pfx, {
    blobHTTPHeaders: { blobContentType: "application/x-pkcs12" },
  });
}

/** Deletes the package (and any snapshot); one already gone is fine. */
export async function deletePackage(service: BlobServiceClient, container: string, blobName: string): Promise<void> {
  await service.getContainerClient(container).getBlobClient(blobName).deleteIfExists({ deleteSnapshots: "include" });
}
