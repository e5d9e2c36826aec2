// Finding and verifying the root CA among the versions of its Key Vault certificate. Only a verified CA counts: an
// enabled version whose certificate is CA:TRUE, self-signed, and carries the public key of the version's own key.
import type { KeyVaultCertificate } from "@azure/keyvault-certificates";
import { BOOTSTRAP_COMPLETE, BOOTSTRAP_TAG, OWNER_TAG, OWNER_VALUE } from "./ca-model";
import type { CaConfig, RootCa } from "./ca-model";
import { isStatus } from "./key-vault-certificate-ops";
import type { KeyVaultClients } from "./keyvault";
import { describeCertificate } from "../domain/certificate-info";
import { verifyIssuedBy } from "../domain/certificate-verify";
import { toGatewayCertData } from "../domain/pem";
import { certificateSpki, samePublicKey } from "../domain/public-key";
import { rsaSpkiFromModulus } from "../domain/rsa-public-key";

/**
 * The configured root as Key Vault holds it, or undefined when it does not exist yet. Only a verified CA counts: an
 * enabled version whose certificate is CA:TRUE, self-signed, and carries the public key of the version's own key
 * (so the temporary self-signed version of an unfinished bootstrap, or a pending version, is never taken for it).
 * The latest version is tried first; when it is not the root (Key Vault's "latest" while an operation is pending is
 * not documented), every version is looked at.
 */
export async function getRootCa(
  kv: KeyVaultClients,
  config: Pick<CaConfig, "CA_ROOT_NAME">,
): Promise<RootCa | undefined> {
  return (await locateRoot(kv, config.CA_ROOT_NAME))?.root;
}

export interface LocatedRoot {
  readonly root: RootCa;
  readonly version: RootVersion;
}

export async function locateRoot(kv: KeyVaultClients, name: string): Promise<LocatedRoot | undefined> {
  let latest: KeyVaultCertificate;
  try {
    latest = await kv.certificates.getCertificate(name);
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
  const version = versionOf(latest);
  const root = await verifiedRoot(kv, name, version);
  if (root !== undefined) return { root, version };
  return findRoot(kv, name, await readVersions(kv, name));
}

export function isComplete(located: LocatedRoot | undefined): located is LocatedRoot {
  return located?.version.tags[BOOTSTRAP_TAG] === BOOTSTRAP_COMPLETE;
}

/** One version of the root's name as Key Vault lists it; `der` is undefined while the version is pending. */
export interface RootVersion {
  readonly version: string;
  readonly enabled: boolean;
  readonly createdOn: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly keyId: string | undefined;
  readonly der: Uint8Array | undefined;
}

/** Every version of `name`, newest first (empty when the name does not exist). */
export async function readVersions(kv: KeyVaultClients, name: string): Promise<RootVersion[]> {
  const listed: { version: string; createdOn: number; index: number }[] = [];
  try {
    let index = 0;
    for await (const properties of kv.certificates.listPropertiesOfCertificateVersions(name)) {
      if (properties.version !== undefined) {
        listed.push({ version: properties.version, createdOn: properties.createdOn?.getTime() ?? 0, index: index++ });
      }
    }
  } catch (error) {
    if (isStatus(error, 404)) return [];
    throw error;
  }
  listed.sort((a, b) => b.createdOn - a.createdOn || b.index - a.index);
  const versions: RootVersion[] = [];
  for (const { version } of listed) {
    try {
      versions.push(versionOf(await kv.certificates.getCertificateVersion(name, version)));
    } catch (error) {
      // A version removed meanwhile, or one Key Vault will not show: it cannot be the root or its key.
      if (!isStatus(error, 404) && !isStatus(error, 403)) throw error;
    }
  }
  return versions;
}

export function versionOf(cert: KeyVaultCertificate): RootVersion {
  const der = cert.cer === undefined || cert.cer.length === 0 ? undefined : new Uint8Array(cert.cer);
  return {
    version: cert.properties.version ?? "",
    enabled: cert.properties.enabled === true,
    createdOn: cert.properties.createdOn?.getTime() ?? 0,
    tags: { ...(cert.properties.tags ?? {}) },
    keyId: cert.keyId,
    der,
  };
}

/** The newest verified root among `versions`. */
export async function findRoot(
  kv: KeyVaultClients,
  name: string,
  versions: readonly RootVersion[],
): Promise<LocatedRoot | undefined> {
  for (const version of versions) {
    const root = await verifiedRoot(kv, name, version);
    if (root !== undefined) return { root, version };
  }
  return undefined;
}

/**
 * The version as the root, when it is one: enabled, issued, CA:TRUE, self-signed, and its certificate's public key
 * is the public key of the version's Key Vault key (what "merged" means; a failed merge leaves no such version),
 * checked by reading the key unless the bootstrap marked the version complete after that check.
 */
async function verifiedRoot(kv: KeyVaultClients, name: string, version: RootVersion): Promise<RootCa | undefined> {
  const { der, keyId } = version;
  if (!version.enabled || der === undefined || keyId === undefined) return undefined;
  const info = describeCertificate(der);
  if (!info.isCa) return undefined;
  try {
    await verifyIssuedBy(der, der, "root certificate");
  } catch {
    return undefined;
  }
  // A version marked complete had its key checked before the mark was set, and a version's certificate and key
  // never change: the everyday path (every issuance, every writer pass) needs no key read.
  if (version.tags[BOOTSTRAP_TAG] !== BOOTSTRAP_COMPLETE) {
    let key;
    try {
      key = await kv.keys.getKey(name, { version: version.version });
    } catch (error) {
      if (isStatus(error, 404) || isStatus(error, 403)) return undefined;
      throw error;
    }
    const n = key.key?.n;
    const e = key.key?.e;
    if (n === undefined || e === undefined) return undefined;
    if (!samePublicKey(rsaSpkiFromModulus(new Uint8Array(n), new Uint8Array(e)), certificateSpki(der)))
      return undefined;
  }
  return {
    name,
    subject: info.subject,
    thumbprint: info.thumbprint,
    serialNumber: info.serialNumber,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    publicCertData: toGatewayCertData(der),
    keyId,
  };
}

/** A temporary version: issued by this app for the root, self-signed by Key Vault, not a CA. */
export function isTemporary(version: RootVersion): version is RootVersion & { der: Uint8Array; keyId: string } {
  if (version.der === undefined || version.keyId === undefined) return false;
  if (version.tags[OWNER_TAG] !== OWNER_VALUE || version.tags.role !== "root") return false;
  const info = describeCertificate(version.der);
  return !info.isCa && info.subject === info.issuer;
}
