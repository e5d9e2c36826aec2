// The manifest of a gateway's current profile package (<gateway>/latest.json in PROFILE_CONTAINER), and where
// packages go: <gateway>/<version>/vpnprofile.zip.
import type { ProfileConfig } from "./profile-fingerprint";
import type { ServerRoot } from "./profile-package";

export interface ProfileManifest {
  readonly gatewayId: string;
  readonly gateway: string;
  /** The package version: its folder (profile-fingerprint.ts versionFingerprint). */
  readonly fingerprint: string;
  /** Fingerprint of the profile-relevant configuration the package was generated from. */
  readonly configFingerprint: string;
  readonly generatedAt: string;
  readonly sha256: string;
  readonly size: number;
  /** Blob path in PROFILE_CONTAINER. */
  readonly path: string;
  readonly serverRoot: ServerRoot;
  readonly folders: readonly string[];
  /** What changed since the previous package, one line per field (or the server root). */
  readonly changes: readonly string[];
  /** The configuration itself, to tell the next package what changed. */
  readonly config: ProfileConfig;
}

/** The blob-name folder of a gateway: its name, lower-cased (names are case-insensitive in ARM). */
export function gatewayFolder(gatewayName: string): string {
  return gatewayName.toLowerCase();
}

export function packagePath(gatewayName: string, version: string): string {
  return `${gatewayFolder(gatewayName)}/${version}/vpnprofile.zip`;
}

export function manifestPath(gatewayName: string): string {
  return `${gatewayFolder(gatewayName)}/latest.json`;
}

/** Versions to delete: all but the newest `keep` (by time), never the current one. */
export function versionsToDelete(
  versions: readonly { readonly version: string; readonly lastModified: Date }[],
  current: string,
  keep: number,
): string[] {
  const others = versions
    .filter((v) => v.version !== current)
    .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime() || a.version.localeCompare(b.version));
  return others.slice(Math.max(0, keep - 1)).map((v) => v.version);
}
