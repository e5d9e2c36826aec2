// Checks a downloaded VPN profile package before it is published: a zip whose central directory and entries agree,
// with safe relative names, bounded entry count and sizes (counted while inflating, so a zip bomb that lies in its
// headers is stopped too), the folders a client needs, and the gateway's server root read from Generic/VpnSettings.xml.
import { createHash } from "node:crypto";
import { Unzip, UnzipInflate, unzipSync } from "fflate";

export interface PackageLimits {
  readonly maxEntries: number;
  /** Largest inflated size of one entry, in bytes. */
  readonly maxEntryBytes: number;
  /** Largest inflated size of all entries together, in bytes. */
  readonly maxTotalBytes: number;
}

export const DEFAULT_PACKAGE_LIMITS: PackageLimits = {
  maxEntries: 64,
  maxEntryBytes: 1024 * 1024,
  maxTotalBytes: 8 * 1024 * 1024,
};

export interface ServerRoot {
  /** ServerCertRootCn of Generic/VpnSettings.xml. */
  readonly commonName: string;
  /** SHA-256 (hex) of the CaCert certificate's DER; empty when the package carries no CaCert. */
  readonly certificateSha256: string;
}

export interface PackageContents {
  readonly entries: readonly string[];
  /** Top-level folders present (AzureVPN, Generic, OpenVPN...). */
  readonly folders: readonly string[];
  readonly serverRoot: ServerRoot;
}

export type PackageInspection =
  { readonly ok: true; readonly contents: PackageContents } | { readonly ok: false; readonly reason: string };

export interface PackageExpectations {
  /** The gateway offers OpenVPN, so the package must have OpenVPN/. */
  readonly openVpn: boolean;
}

class PackageRefused extends Error {}

/** Inspects the package; never throws on bad input (answers ok: false with the reason). */
export function inspectProfilePackage(
  zip: Uint8Array,
  expect: PackageExpectations,
  limits: PackageLimits = DEFAULT_PACKAGE_LIMITS,
): PackageInspection {
  try {
    const listed = centralDirectoryNames(zip, limits);
    const files = inflateEntries(zip, limits);
    const inflated = [...files.keys()].sort();
    if (inflated.join("\n") !== [...listed].sort().join("\n")) {
      throw new PackageRefused("the zip's entries do not match its central directory");
    }
    const folders = [...new Set(inflated.map((name) => name.split("/")[0] ?? ""))].sort();
    const required = ["AzureVPN", "Generic", ...(expect.openVpn ? ["OpenVPN"] : [])];
    const missing = required.filter((folder) => !inflated.some((n) => n.startsWith(`${folder}/`) && !n.endsWith("/")));
    if (missing.length > 0) throw new PackageRefused(`missing folder(s) ${missing.join(", ")}`);
    const settings = files.get("Generic/VpnSettings.xml");
    if (settings === undefined) throw new PackageRefused("missing Generic/VpnSettings.xml");
    return { ok: true, contents: { entries: inflated, folders, serverRoot: serverRootOf(settings) } };
  } catch (error) {
    if (error instanceof PackageRefused) return { ok: false, reason: error.message };
    return { ok: false, reason: `not a readable zip: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Names a client would extract: relative, forward slashes, no "..", no drive letters or control characters. */
export function isSafeEntryName(name: string): boolean {
  if (name === "" || name.length > 255 || name.startsWith("/") || name.includes("\\")) return false;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20) return false;
  if (/[:*?"<>|]/.test(name)) return false;
  const segments = name.replace(/\/$/, "").split("/");
  return segments.every((s) => s !== "" && s !== "." && s !== "..");
}

function centralDirectoryNames(zip: Uint8Array, limits: PackageLimits): string[] {
  const names: string[] = [];
  let declaredTotal = 0;
  // The filter sees every central directory record and answers false: nothing is inflated here.
  unzipSync(zip, {
    filter: (file) => {
      names.push(file.name);
      if (names.length > limits.maxEntries) throw new PackageRefused(`more than ${limits.maxEntries} entries`);
      if (!isSafeEntryName(file.name)) throw new PackageRefused(`unsafe entry name ${JSON.stringify(file.name)}`);
      if (file.compression !== 0 && file.compression !== 8) {
        throw new PackageRefused(`${file.name}: unsupported compression method ${file.compression}`);
      }
      if (file.originalSize > limits.maxEntryBytes) throw new PackageRefused(`${file.name} is too large`);
      declaredTotal += file.originalSize;
      if (declaredTotal > limits.maxTotalBytes) throw new PackageRefused("the entries are too large together");
      return false;
    },
  });
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) {
    throw new PackageRefused("duplicate entry names");
  }
  return names;
}

/** Pushes the zip in small chunks so that inflated output is counted (and refused) as it grows. */
function inflateEntries(zip: Uint8Array, limits: PackageLimits): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let total = 0;
  let failure: Error | undefined;
  const unzip = new Unzip((file) => {
    if (!isSafeEntryName(file.name)) throw new PackageRefused(`unsafe entry name ${JSON.stringify(file.name)}`);
    if (files.has(file.name)) throw new PackageRefused("duplicate entry names");
    if (files.size >= limits.maxEntries) throw new PackageRefused(`more than ${limits.maxEntries} entries`);
    const chunks: Buffer[] = [];
    let size = 0;
    files.set(file.name, Buffer.alloc(0));
    file.ondata = (error, data, final) => {
      if (failure !== undefined) return;
      if (error !== null) {
        failure = error;
        return;
      }
      size += data.length;
      total += data.length;
      if (size > limits.maxEntryBytes) failure = new PackageRefused(`${file.name} inflates past its limit`);
      else if (total > limits.maxTotalBytes) failure = new PackageRefused("the entries inflate past the total limit");
      if (failure !== undefined) {
        file.terminate();
        return;
      }
      chunks.push(Buffer.from(data));
      if (final) files.set(file.name, Buffer.concat(chunks));
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  const CHUNK = 16 * 1024;
  for (let offset = 0; offset < zip.length; offset += CHUNK) {
    unzip.push(zip.subarray(offset, offset + CHUNK), offset + CHUNK >= zip.length);
    if (failure !== undefined) throw failure;
  }
  if (failure !== undefined) throw failure;
  return files;
}

function serverRootOf(settingsXml: Buffer): ServerRoot {
  const text = settingsXml.toString("utf8");
  const element = (name: string): string | undefined =>
    new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1]?.trim();
  const commonName = element("ServerCertRootCn");
  if (commonName === undefined || commonName === "") {
    throw new PackageRefused("Generic/VpnSettings.xml names no ServerCertRootCn");
  }
  const caCert = element("CaCert") ?? "";
  if (caCert !== "" && !/^[A-Za-z0-9+/\s]+={0,2}$/.test(caCert)) {
    throw new PackageRefused("Generic/VpnSettings.xml CaCert is not base64");
  }
  const der = Buffer.from(caCert.replace(/\s/g, ""), "base64");
  return {
    commonName: unescapeXml(commonName),
    certificateSha256: der.length === 0 ? "" : createHash("sha256").update(der).digest("hex"),
  };
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
