// Packages and manifests in Azurite through the real @azure/storage-blob: the package under its version with its
// SHA-256, latest.json written only under the ETag it was read with (or only while absent), old versions pruned.
import { createHash } from "node:crypto";
import { BlobServiceClient } from "@azure/storage-blob";
import { ProfileStore } from "../../../src/clients/profile-store";
import { versionsToDelete } from "../../../src/domain/profile-manifest";
import type { ProfileManifest } from "../../../src/domain/profile-manifest";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";

let service: BlobServiceClient;
let store: ProfileStore;

beforeAll(() => {
  service = BlobServiceClient.fromConnectionString(azuriteConnectionString());
});

beforeEach(() => {
  store = new ProfileStore(service, uniqueName("profiles"));
});

function manifest(version: string): ProfileManifest {
  return {
    gatewayId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/GW-West",
    gateway: "GW-West",
    fingerprint: version,
    configFingerprint: `config-${version}`,
    generatedAt: "2030-01-02T12:00:00.000Z",
    sha256: "0".repeat(64),
    size: 1,
    path: `gw-west/${version}/vpnprofile.zip`,
    serverRoot: { commonName: "DigiCert Global Root G2", certificateSha256: "" },
    folders: ["AzureVPN", "Generic"],
    changes: ["first package"],
    config: {
      addressPools: [],
      protocols: [],
      authenticationTypes: [],
      roots: [],
      radiusServers: [],
      aad: [],
      ipsecPolicies: [],
      customRoutes: [],
      publicIps: [],
    },
  };
}

describe("ProfileStore", () => {
  it("stores a package under its version with its SHA-256 in the metadata", async () => {
    const bytes = Buffer.from("PK package bytes");
    const stored = await store.uploadPackage("GW-West", "v1", bytes);
    expect(stored).toEqual({
      path: "gw-west/v1/vpnprofile.zip",
      sha256: createHash("sha256").update(bytes).digest("hex"),
      size: bytes.length,
    });
    const blob = service.getContainerClient(store.containerName).getBlockBlobClient(stored.path);
    expect((await blob.getProperties()).metadata).toEqual({ sha256: stored.sha256 });
    expect(await store.readPackage(stored.path)).toEqual(bytes);
  });

  it("finds the package a repeated activity uploaded for the same configuration, with its facts", async () => {
    const facts = {
      configFingerprint: "cfg-1",
      serverRoot: { commonName: "Racine É G2", certificateSha256: "ab".repeat(32) },
      folders: ["AzureVPN", "Generic"],
    };
    const since = new Date(Date.now() - 60_000);
    expect(await store.recentPackage("GW-West", "cfg-1", since)).toBeUndefined();
    const stored = await store.uploadPackage("GW-West", "v9", Buffer.from("PK"), facts);
    await store.uploadPackage("GW-West", "v8", Buffer.from("PK other"), { ...facts, configFingerprint: "cfg-2" });
    expect(await store.recentPackage("GW-West", "cfg-1", since)).toMatchObject({ ...stored, ...facts, version: "v9" });
    expect(await store.recentPackage("GW-West", "cfg-1", new Date(Date.now() + 60_000))).toBeUndefined();
  });

  it("writes latest.json only while absent, then only under the ETag it was read with", async () => {
    expect(await store.readManifest("GW-West")).toBeUndefined();
    expect(await store.writeManifest(manifest("v1"), undefined)).toBe("written");
    // A second first write (another instance that also found none) loses.
    expect(await store.writeManifest(manifest("v1b"), undefined)).toBe("conflict");

    const read = await store.readManifest("GW-West");
    expect(read?.manifest.fingerprint).toBe("v1");
    expect(await store.writeManifest(manifest("v2"), read?.etag)).toBe("written");
    // The ETag of the first read is stale now.
    expect(await store.writeManifest(manifest("v3"), read?.etag)).toBe("conflict");
    expect((await store.readManifest("GW-West"))?.manifest.fingerprint).toBe("v2");
  });

  it("lists versions and deletes all but the newest N, never the current one", async () => {
    for (const v of ["a", "b", "c", "d"]) await store.uploadPackage("GW-West", v, Buffer.from(v));
    const listed = await store.listVersions("GW-West");
    expect(listed.map((v) => v.version).sort()).toEqual(["a", "b", "c", "d"]);
    const doomed = versionsToDelete(listed, "a", 2);
    expect(doomed).toHaveLength(2);
    expect(doomed).not.toContain("a");
    for (const v of doomed) await store.deleteVersion("GW-West", v);
    expect((await store.listVersions("GW-West")).map((v) => v.version)).toContain("a");
    expect(await store.listVersions("GW-West")).toHaveLength(2);
  });
});

describe("versionsToDelete", () => {
  it("keeps the current version and the newest others up to N in all", () => {
    const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
    const versions = [
      { version: "old", lastModified: at(1) },
      { version: "mid", lastModified: at(2) },
      { version: "new", lastModified: at(3) },
      { version: "cur", lastModified: at(4) },
    ];
    expect(versionsToDelete(versions, "cur", 2)).toEqual(["mid", "old"]);
    expect(versionsToDelete(versions, "cur", 1)).toEqual(["new", "mid", "old"]);
    expect(versionsToDelete(versions, "cur", 5)).toEqual([]);
  });
});
