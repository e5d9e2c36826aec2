// Activities of the profile regenerator: read the gateway's profile configuration and the published manifest, build
// and upload a package, write the manifest, prune old versions, audit the outcome, and request a regeneration.
import * as df from "durable-functions";
import { defineActivity } from "./define";
import { services } from "./services";
import type { Config } from "../config";
import type { BlobServiceClient } from "@azure/storage-blob";
import { tlsClientOptions } from "../clients/azure-options";
import { linkBlobService, linkBlobServiceUri } from "../clients/blob-links";
import { GatewayError, parseGatewayId } from "../clients/gateway";
import { downloadProfilePackage } from "../clients/profile-download";
import { ProfileStore } from "../clients/profile-store";
import { regeneratorInput, requestProfileRegeneration } from "../clients/profile-regenerator-starter";
import type { RegenerationRequest } from "../clients/profile-regenerator-starter";
import { blobServiceClient } from "../clients/storage";
import { configFingerprint, profileConfigOf, versionFingerprint } from "../domain/profile-fingerprint";
import type { ProfileConfig } from "../domain/profile-fingerprint";
import { versionsToDelete } from "../domain/profile-manifest";
import type { ProfileManifest } from "../domain/profile-manifest";
import { inspectProfilePackage } from "../domain/profile-package";
import type { ServerRoot } from "../domain/profile-package";

let stores: { config: Config; service: BlobServiceClient; store: ProfileStore } | undefined;

/**
 * The blob service of the packages: the account read-only links are made for (DELIVERY_BLOB_SERVICE_URI, else
 * AzureWebJobsStorage__blobServiceUri) when one is configured, so the API can link to them; else the app's storage.
 */
export function profileBlobs(): { readonly service: BlobServiceClient; readonly store: ProfileStore } {
  const { config } = services();
  if (stores?.config !== config) {
    const service = linkBlobServiceUri(config) === undefined ? blobServiceClient(config) : linkBlobService(config);
    stores = { config, service, store: new ProfileStore(service, config.PROFILE_CONTAINER) };
  }
  return stores;
}

function profileStore(): ProfileStore {
  return profileBlobs().store;
}

export interface ProfileCheck {
  readonly gatewayName: string;
  readonly configFingerprint: string;
  readonly config: ProfileConfig;
  /** The gateway offers OpenVPN: the package must have OpenVPN/. */
  readonly openVpn: boolean;
  readonly published?: { readonly manifest: ProfileManifest; readonly etag: string };
}

export const checkProfileConfig = defineActivity<{ readonly gatewayId: string }, ProfileCheck>(
  "checkProfileConfig",
  async ({ gatewayId }) => {
    const ref = parseGatewayId(gatewayId);
    const [snapshot, published] = await Promise.all([
      services().gateways.read(ref),
      profileStore().readManifest(ref.name),
    ]);
    const config = profileConfigOf(snapshot.gateway);
    return {
      gatewayName: ref.name,
      configFingerprint: configFingerprint(config),
      config,
      openVpn: config.protocols.some((p) => p.toLowerCase() === "openvpn"),
      ...(published === undefined ? {} : { published }),
    };
  },
);

/** How old a package of the same configuration may be for a repeated activity to reuse it instead of generating. */
const REUSE_WINDOW_MS = 10 * 60_000;

export interface BuildPackageInput {
  readonly gatewayId: string;
  readonly configFingerprint: string;
  readonly openVpn: boolean;
  /** The version published now: a refresh that yields the same version uploads nothing. */
  readonly publishedVersion?: string;
  /** The weekly refresh: always generate afresh. */
  readonly refresh?: boolean;
}

export type BuiltPackage =
  | { readonly kind: "refused"; readonly reason: string }
  /** The gateway runs another operation (or throttles): wait and try again. */
  | { readonly kind: "busy"; readonly retryAfterMs?: number; readonly detail: string }
  | { readonly kind: "unchanged"; readonly version: string; readonly serverRoot: ServerRoot }
  | {
      readonly kind: "uploaded";
      readonly version: string;
      readonly path: string;
      readonly sha256: string;
      readonly size: number;
      readonly serverRoot: ServerRoot;
      readonly folders: readonly string[];
    };

/** generatevpnprofile, download, check, and upload under its version (idempotent: same version, same path). */
export const buildProfilePackage = defineActivity<BuildPackageInput, BuiltPackage>(
  "buildProfilePackage",
  async (input, context) => {
    const { config, gateways } = services();
    const ref = parseGatewayId(input.gatewayId);
    if (input.refresh !== true) {
      // A repeated delivery of this activity (its result lost) finds the package it uploaded: no second generation.
      const since = new Date(Date.now() - REUSE_WINDOW_MS);
      const recent = await profileStore().recentPackage(ref.name, input.configFingerprint, since);
      if (recent !== undefined && recent.version !== input.publishedVersion) {
        const { lastModified: _at, configFingerprint: _c, ...reused } = recent;
        return { kind: "uploaded", ...reused };
      }
    }
    let url: string;
    try {
      url = await gateways.generateVpnProfile(ref);
    } catch (error) {
      // The gateway client classifies AnotherOperationInProgress as busy in both its forms (a 409, a failed operation).
      if (error instanceof GatewayError && (error.kind === "busy" || error.kind === "throttled")) {
        return {
          kind: "busy",
          detail: error.message,
          ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
        };
      }
      throw error;
    }
    const ca = tlsClientOptions(config).tlsOptions?.ca;
    let bytes: Buffer;
    try {
      bytes = await downloadProfilePackage(url, {
        allowedHosts: config.PROFILE_DOWNLOAD_HOSTS,
        maxBytes: config.PROFILE_DOWNLOAD_MAX_BYTES,
        timeoutMs: config.PROFILE_DOWNLOAD_TIMEOUT_MS,
        ...(ca === undefined ? {} : { ca }),
      });
    } catch (error) {
      if (error instanceof Error && error.name === "DownloadRefused") return { kind: "refused", reason: error.message };
      throw error;
    }
    const inspected = inspectProfilePackage(bytes, { openVpn: input.openVpn });
    if (!inspected.ok) return { kind: "refused", reason: inspected.reason };
    const { serverRoot, folders } = inspected.contents;
    const version = versionFingerprint(input.configFingerprint, serverRoot.certificateSha256, serverRoot.commonName);
    if (version === input.publishedVersion) return { kind: "unchanged", version, serverRoot };
    const facts = { configFingerprint: input.configFingerprint, serverRoot, folders };
    const stored = await profileStore().uploadPackage(ref.name, version, bytes, facts);
    context.log(`profile: ${ref.name} package ${version} uploaded (${stored.size} bytes, sha256 ${stored.sha256})`);
    return { kind: "uploaded", version, ...stored, serverRoot, folders };
  },
);

export const writeProfileManifest = defineActivity<
  { readonly manifest: ProfileManifest; readonly etag?: string },
  "written" | "conflict"
>("writeProfileManifest", ({ manifest, etag }) => profileStore().writeManifest(manifest, etag));

export const pruneProfileVersions = defineActivity<
  { readonly gatewayName: string; readonly current: string; readonly keep: number },
  readonly string[]
>("pruneProfileVersions", async ({ gatewayName, current, keep }) => {
  const store = profileStore();
  const doomed = versionsToDelete(await store.listVersions(gatewayName), current, keep);
  for (const version of doomed) await store.deleteVersion(gatewayName, version);
  return doomed;
});

export interface ProfileOutcomeRecord {
  readonly id: string;
  readonly gatewayName: string;
  readonly action: "profile.skipped" | "profile.published" | "profile.unchanged" | "profile.refused";
  readonly reason: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

export const recordProfileOutcome = defineActivity<ProfileOutcomeRecord, "recorded">(
  "recordProfileOutcome",
  async (record) => {
    await services().ledger.appendAudit({
      id: record.id,
      at: new Date(),
      actor: "system:profileRegenerator",
      action: record.action,
      subject: record.gatewayName.toLowerCase(),
      reason: record.reason,
      source: "profiles",
      details: record.details,
    });
    return "recorded";
  },
);

/** For the gateway writer: its own root changes call for a new profile without waiting for Event Grid. */
export const requestProfileRegenerationActivity = defineActivity<
  { readonly gatewayId: string; readonly reason: string },
  RegenerationRequest
>(
  "requestProfileRegeneration",
  async ({ gatewayId, reason }, context) => {
    const { config } = services();
    if (!config.PROFILES_ENABLED) return "disabled";
    return requestProfileRegeneration(df.getClient(context), regeneratorInput(config, gatewayId, reason));
  },
  [df.input.durableClient()],
);
