// readOnlyLink against the blob-only HTTPS Azurite with --oauth basic (what the sandbox runs for links), through the
// real storage SDK and the app's local credential: the link reads its blob and nothing else, over https only, and
// stops working when it expires; an account key can neither get a delegation key nor be used by the helper.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request as httpRequest } from "node:http";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { startAzuriteHttpsBlob } from "../../../dev/azurite";
import type { HttpsBlobHandle } from "../../../dev/azurite";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import { BlobLinkError, linkBlobService, readOnlyLink } from "../../../src/clients/blob-links";
import { httpsRequest } from "../../support/emulator-clients";
import { uniqueName } from "../../support/azurite";

const EMULATOR_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

let storage: HttpsBlobHandle;
let caPem: string;
let dir: string;
let service: BlobServiceClient;
const container = uniqueName("links");
const blobName = "pkg-1.p12";
const content = Buffer.from("not really a pfx, but bytes all the same");

beforeAll(async () => {
  const ca = await createEmulatorCa();
  caPem = ca.certPem;
  dir = await mkdtemp(join(tmpdir(), "blob-links-"));
  const caFile = join(dir, "ca.pem");
  await ca.writeCertPem(caFile);
  storage = await startAzuriteHttpsBlob(ca.serverTlsOptions());
  service = linkBlobService({
    DELIVERY_BLOB_SERVICE_URI: storage.blobServiceUri,
    AzureWebJobsStorage__blobServiceUri: undefined,
    P2S_CREDENTIAL: "localEmulator",
    AZURE_CLIENT_ID: undefined,
    P2S_TRUSTED_CA_FILE: caFile,
  });
  await service.getContainerClient(container).create();
  await service.getContainerClient(container).getBlockBlobClient(blobName).uploadData(content);
});

afterAll(async () => {
  await storage.stop();
  await rm(dir, { recursive: true, force: true });
});

function httpStatus(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", (error) => {
      resolve(error.message);
    });
    req.setTimeout(5000, () => req.destroy(new Error("timed out")));
    req.end();
  });
}

describe("readOnlyLink", () => {
  it("signs a user-delegation SAS: sp=r, spr=https, the delegation key's ids, no account-key signature", async () => {
    const now = new Date();
    const link = new URL(await readOnlyLink(service, container, blobName, new Date(now.getTime() + 600_000), now));
    expect(link.protocol).toBe("https:");
    expect(link.pathname).toBe(`/devstoreaccount1/${container}/${blobName}`);
    const q = link.searchParams;
    expect(q.get("sp")).toBe("r");
    expect(q.get("spr")).toBe("https");
    expect(q.get("sr")).toBe("b");
    expect(q.get("skoid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(q.get("sktid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(q.get("sks")).toBe("b");
    expect(q.get("se")).toBe(
      new Date(Math.floor((now.getTime() + 600_000) / 1000) * 1000).toISOString().replace(".000", ""),
    );
  });

  it("reads the blob over https, and nothing else: no write, delete, list, or http", async () => {
    const now = new Date();
    const link = await readOnlyLink(service, container, blobName, new Date(now.getTime() + 600_000), now, {
      contentDisposition: 'attachment; filename="alice.p12"',
      contentType: "application/x-pkcs12",
    });
    const read = await httpsRequest(link, { ca: caPem });
    expect(read.status).toBe(200);
    expect(read.text).toBe(content.toString("utf8"));
    expect(read.headers["content-disposition"]).toBe('attachment; filename="alice.p12"');
    expect(read.headers["content-type"]).toBe("application/x-pkcs12");

    expect((await httpsRequest(link, { ca: caPem, method: "DELETE" })).status).toBe(403);
    const overwrite = await httpsRequest(link, {
      ca: caPem,
      method: "PUT",
      rawBody: "replaced",
      headers: { "x-ms-blob-type": "BlockBlob", "content-type": "application/octet-stream" },
    });
    expect(overwrite.status).toBe(403);
    const listUrl = new URL(link);
    listUrl.pathname = `/devstoreaccount1/${container}`;
    listUrl.searchParams.set("restype", "container");
    listUrl.searchParams.set("comp", "list");
    expect((await httpsRequest(listUrl.href, { ca: caPem })).status).toBe(403);
    // A widened grant breaks the signature.
    for (const [param, value] of [
      ["sp", "rd"],
      ["spr", "https,http"],
    ] as const) {
      const widened = new URL(link);
      widened.searchParams.set(param, value);
      expect((await httpsRequest(widened.href, { ca: caPem })).status).toBe(403);
    }
    // Plain http gets no answer from the https-only endpoint.
    const plain = link.replace(/^https:/, "http:");
    expect(await httpStatus(plain)).not.toBe(200);
    // The blob is untouched.
    const after = await service.getContainerClient(container).getBlobClient(blobName).downloadToBuffer();
    expect(after.toString("utf8")).toBe(content.toString("utf8"));
  });

  it("stops reading once it has expired", async () => {
    const now = new Date(Date.now() - 10 * 60_000);
    const link = await readOnlyLink(service, container, blobName, new Date(now.getTime() + 60_000), now);
    expect((await httpsRequest(link, { ca: caPem })).status).toBe(403);
  });

  it("is refused with an account key, by the helper and by Storage", async () => {
    const keyed = new BlobServiceClient(
      storage.blobServiceUri,
      new StorageSharedKeyCredential("devstoreaccount1", EMULATOR_ACCOUNT_KEY),
      { tlsOptions: { ca: caPem } } as ConstructorParameters<typeof BlobServiceClient>[2],
    );
    const now = new Date();
    await expect(readOnlyLink(keyed, container, blobName, new Date(now.getTime() + 60_000), now)).rejects.toThrow(
      BlobLinkError,
    );
    await expect(keyed.getUserDelegationKey(now, new Date(now.getTime() + 60_000))).rejects.toMatchObject({
      statusCode: 403,
    });
  });
});
