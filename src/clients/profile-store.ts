// Profile packages and their manifests in PROFILE_CONTAINER: packages are written once per version (with their
// SHA-256 in metadata), the manifest only with a condition on the ETag it was read with (or on its absence).
import { createHash } from "node:crypto";
import { RestError } from "@azure/storage-blob";
import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { gatewayFolder, manifestPath, packagePath } from "../domain/profile-manifest";
import type { ProfileManifest } from "../domain/profile-manifest";
import type { ServerRoot } from "../domain/profile-package";

export interface StoredPackage {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** What a package blob records about itself (its metadata), so a repeated activity can reuse it. */
export interface PackageFacts {
  readonly configFingerprint: string;
  readonly serverRoot: ServerRoot;
  readonly folders: readonly string[];
}

export interface RecentPackage extends StoredPackage, PackageFacts {
  readonly version: string;
  readonly lastModified: Date;
}

export interface ManifestRead {
  readonly manifest: ProfileManifest;
  readonly etag: string;
}

export class ProfileStore {
  private readonly container: ContainerClient;
  private ready: Promise<unknown> | undefined;

  constructor(service: BlobServiceClient, containerName: string) {
    this.container = service.getContainerClient(containerName);
  }

  get containerName(): string {
    return this.container.containerName;
  }

  async uploadPackage(
    gatewayName: string,
    version: string,
    bytes: Buffer,
    facts?: PackageFacts,
  ): Promise<StoredPackage> {
    await this.ensure();
    const path = packagePath(gatewayName, version);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    await this.container.getBlockBlobClient(path).uploadData(bytes, {
      blobHTTPHeaders: { blobContentType: "application/zip" },
      metadata: { sha256, ...(facts === undefined ? {} : factsMetadata(facts)) },
    });
    return { path, sha256, size: bytes.length };
  }

  /** The newest package of this configuration uploaded since `since`, if any (a repeated activity's). */
  async recentPackage(gatewayName: string, configFingerprint: string, since: Date): Promise<RecentPackage | undefined> {
    const prefix = `${gatewayFolder(gatewayName)}/`;
    let found: RecentPackage | undefined;
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix, includeMetadata: true })) {
        const m = blob.metadata ?? {};
        const version = blob.name.slice(prefix.length).split("/")[0] ?? "";
        const modified = blob.properties.lastModified;
        if (!blob.name.endsWith("/vpnprofile.zip") || m["configfingerprint"] !== configFingerprint) continue;
        if (modified < since || (found !== undefined && found.lastModified >= modified)) continue;
        found = {
          version,
          lastModified: modified,
          path: blob.name,
          sha256: m["sha256"] ?? "",
          size: blob.properties.contentLength ?? 0,
          configFingerprint,
          serverRoot: {
            commonName: decodeURIComponent(m["serverrootcn"] ?? ""),
            certificateSha256: m["serverrootsha256"] ?? "",
          },
          folders: (m["folders"] ?? "").split(",").filter((f) => f !== ""),
        };
      }
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
    return found;
  }

  /** The package bytes of a path, or undefined when it is gone. */
  async readPackage(path: string): Promise<Buffer | undefined> {
    try {
      return await this.container.getBlockBlobClient(path).downloadToBuffer();
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async readManifest(gatewayName: string): Promise<ManifestRead | undefined> {
    try {
      const blob = this.container.getBlockBlobClient(manifestPath(gatewayName));
      const response = await blob.download();
      const body = await streamText(response.readableStreamBody);
      return { manifest: JSON.parse(body) as ProfileManifest, etag: response.etag ?? "" };
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 404 || error.code === "ContainerNotFound")) {
        return undefined;
      }
      throw error;
    }
  }

  /** Writes the manifest if it is still as read (`etag`), or still absent (undefined); "conflict" otherwise. */
  async writeManifest(manifest: ProfileManifest, etag: string | undefined): Promise<"written" | "conflict"> {
    await this.ensure();
    const text = JSON.stringify(manifest, null, 2);
    try {
      await this.container.getBlockBlobClient(manifestPath(manifest.gateway)).upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: "application/json" },
        conditions: etag === undefined ? { ifNoneMatch: "*" } : { ifMatch: etag },
      });
      return "written";
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 412 || error.statusCode === 409)) return "conflict";
      throw error;
    }
  }

  /** Every package version of a gateway with its last write time. */
  async listVersions(gatewayName: string): Promise<{ version: string; lastModified: Date }[]> {
    const prefix = `${gatewayFolder(gatewayName)}/`;
    const versions: { version: string; lastModified: Date }[] = [];
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix })) {
        const parts = blob.name.slice(prefix.length).split("/");
        if (parts.length === 2 && parts[1] === "vpnprofile.zip" && parts[0] !== undefined) {
          versions.push({ version: parts[0], lastModified: blob.properties.lastModified });
        }
      }
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return [];
      throw error;
    }
    return versions;
  }

  async deleteVersion(gatewayName: string, version: string): Promise<void> {
    await this.container.getBlockBlobClient(packagePath(gatewayName, version)).deleteIfExists();
  }

  private ensure(): Promise<unknown> {
    this.ready ??= this.container.createIfNotExists().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}

function factsMetadata(facts: PackageFacts): Record<string, string> {
  // Metadata values are ASCII: the CN is percent-encoded.
  return {
    configfingerprint: facts.configFingerprint,
    serverrootcn: encodeURIComponent(facts.serverRoot.commonName),
    serverrootsha256: facts.serverRoot.certificateSha256,
    folders: facts.folders.join(","),
  };
}

async function streamText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (stream === undefined) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
