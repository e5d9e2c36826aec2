// readOnlyLink's own checks, before any request: https only, a token credential only (never an account key), and a
// lifetime that is positive and within a user delegation key's 7 days.
import { AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/core-auth";
import { BlobLinkError, linkBlobService, linkServiceRefusal, readOnlyLink } from "../../../src/clients/blob-links";

const token: TokenCredential = {
  getToken: () => Promise.reject(new Error("no request may be sent by a refused link")),
};
const url = "https://account.blob.core.windows.net";
const now = new Date("2026-12-06T12:00:00Z");
const inAnHour = new Date(now.getTime() + 3_600_000);

describe("readOnlyLink refusals", () => {
  it("refuses an account-key client and an anonymous one", async () => {
    const keyed = new BlobServiceClient(
      url,
      new StorageSharedKeyCredential("account", Buffer.alloc(64).toString("base64")),
    );
    await expect(readOnlyLink(keyed, "c", "b", inAnHour, now)).rejects.toThrow(/never an account key/);
    expect(linkServiceRefusal(new BlobServiceClient(url, new AnonymousCredential()))).toMatch(/token credential/);
  });

  it("refuses a blob service over http", async () => {
    const plain = new BlobServiceClient("http://127.0.0.1:10000/devstoreaccount1", token);
    await expect(readOnlyLink(plain, "c", "b", inAnHour, now)).rejects.toThrow(/over https/);
  });

  it("refuses a link that expires at or before now, or after 7 days", async () => {
    const service = new BlobServiceClient(url, token);
    await expect(readOnlyLink(service, "c", "b", now, now)).rejects.toThrow(BlobLinkError);
    await expect(readOnlyLink(service, "c", "b", new Date(now.getTime() - 1), now)).rejects.toThrow(/after now/);
    const eightDays = new Date(now.getTime() + 8 * 24 * 3_600_000);
    await expect(readOnlyLink(service, "c", "b", eightDays, now)).rejects.toThrow(/7 days/);
  });

  it("needs an identity-based blob service URI to build its client", () => {
    const base = { P2S_CREDENTIAL: "default", AZURE_CLIENT_ID: undefined, P2S_TRUSTED_CA_FILE: undefined } as const;
    expect(() =>
      linkBlobService({
        ...base,
        DELIVERY_BLOB_SERVICE_URI: undefined,
        AzureWebJobsStorage__blobServiceUri: undefined,
      }),
    ).toThrow(/DELIVERY_BLOB_SERVICE_URI/);
    const fallback = linkBlobService({
      ...base,
      DELIVERY_BLOB_SERVICE_URI: undefined,
      AzureWebJobsStorage__blobServiceUri: `${url}/`,
    });
    expect(fallback.url).toBe(`${url}/`);
    expect(linkServiceRefusal(fallback)).toBeUndefined();
  });
});
