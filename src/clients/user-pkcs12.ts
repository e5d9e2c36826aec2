// A user's certificate as a password-protected PKCS#12 (PFX) with its full chain, built from the Key Vault secret of
// a certificate this app issued. The private key exists only in this function's memory: it is zeroised once the PFX
// is built and never logged or returned except inside the encrypted PFX. (The secret's value arrives as a JS string,
// which cannot be wiped; it is dropped as soon as it is parsed.)
import { RestError } from "@azure/core-rest-pipeline";
import { OWNER_TAG, OWNER_VALUE } from "./key-vault-ca";
import type { RootCa } from "./key-vault-ca";
import type { KeyVaultClients } from "./keyvault";
import { trustedRoots } from "./managed-roots";
import type { RootRegistry } from "./root-registry";
import { sameBytes } from "../domain/certificate-der";
import { readCertificateSecret } from "../domain/certificate-secret";
import type { CertificateWithKey } from "../domain/certificate-secret";
import { verifyIssuedBy } from "../domain/certificate-verify";
import { fromGatewayCertData } from "../domain/pem";
import { thumbprintOf } from "../domain/thumbprint";
import { keyMatchesCertificate } from "../domain/pkcs12";
import type { Pkcs12Encryption } from "../domain/pkcs12";
import { buildPkcs12 } from "../workers/pkcs12-thread";

export class UserPkcs12Error extends Error {
  override readonly name = "UserPkcs12Error";
}

/** What the caller (the ledger) says the certificate must be; a Key Vault object that differs is refused. */
export interface ExpectedCertificate {
  /** Uppercase SHA-1 thumbprint of the certificate to export (the one the ledger lists). */
  readonly thumbprint: string;
  /** The owner's UPN key (lower case), compared with the certificate's `upn` tag when it has one. */
  readonly upnKey?: string;
}

/**
 * The PFX of client certificate `certificateName`: key, leaf and root, encrypted with `passphrase` ("aes256":
 * PBES2/AES-256 with a SHA-256 MAC; "legacy3des": TripleDES key bag with a SHA-1 MAC, for old key stores). Refuses
 * a certificate this app did not issue to a user, one that is disabled or still pending, one that is not the
 * `expected` certificate or user's, one whose secret's key or certificate is not that certificate's, and one whose
 * chain is not a trusted managed root (or that the root did not sign): each certificate is chained to its own root.
 */
export async function exportUserPkcs12(
  kv: KeyVaultClients,
  roots: Pick<RootRegistry, "list">,
  certificateName: string,
  passphrase: string,
  encryption: Pkcs12Encryption,
  expected: ExpectedCertificate,
): Promise<Uint8Array> {
  const certificate = await kv.certificates.getCertificate(certificateName).catch((error: unknown) => {
    if (error instanceof RestError && error.statusCode === 404) {
      throw new UserPkcs12Error(`certificate ${certificateName} does not exist`);
    }
    throw error;
  });
  const { tags, enabled, version } = certificate.properties;
  if (tags?.[OWNER_TAG] !== OWNER_VALUE || tags.role !== "client") {
    throw new UserPkcs12Error(`certificate ${certificateName} is not a user certificate issued by ${OWNER_VALUE}`);
  }
  if (enabled !== true) throw new UserPkcs12Error(`certificate ${certificateName} is disabled`);
  if (certificate.cer === undefined || certificate.cer.length === 0 || version === undefined) {
    throw new UserPkcs12Error(`certificate ${certificateName} is not issued yet`);
  }
  if (thumbprintOf(new Uint8Array(certificate.cer)) !== expected.thumbprint) {
    throw new UserPkcs12Error(
      `certificate ${certificateName} in Key Vault is not the certificate ${expected.thumbprint}`,
    );
  }
  if (expected.upnKey !== undefined && tags.upn !== undefined && tags.upn.toLowerCase() !== expected.upnKey) {
    throw new UserPkcs12Error(`certificate ${certificateName} belongs to another user`);
  }

  // The secret of that same version: a renewal in progress must not pair another key with this certificate.
  const secret = await kv.secrets.getSecret(certificateName, { version });
  if (secret.value === undefined) throw new UserPkcs12Error(`certificate ${certificateName} has no secret value`);
  const parts = await readCertificateSecret(secret.value, secret.properties.contentType).catch((error: unknown) => {
    // Our own parser's messages: they name what is missing or mismatched, never key bytes.
    const why = error instanceof Error ? error.message : "unreadable";
    throw new UserPkcs12Error(`the secret of certificate ${certificateName} is not usable: ${why}`);
  });
  try {
    const { trusted, rootError } = await trustedRoots(kv, roots);
    if (trusted.length === 0) {
      throw new Error(
        `no managed root can be read; nothing can be exported${rootError === undefined ? "" : `: ${rootError}`}`,
      );
    }
    const rootDer = await checkKeyAndChain(certificateName, parts, expected.thumbprint, trusted);
    return await buildPkcs12({
      privateKey: parts.privateKey,
      certificate: parts.certificate,
      chain: [rootDer],
      friendlyName: tags.upn ?? certificateName,
      password: passphrase,
      encryption,
    });
  } finally {
    parts.privateKey.fill(0);
  }
}

/**
 * The secret's leaf must be the listed certificate and its key that certificate's key; its chain must be one trusted
 * managed root alone, and that root's key must have signed the leaf. Answers the root's DER.
 */
async function checkKeyAndChain(
  certificateName: string,
  parts: CertificateWithKey,
  thumbprint: string,
  roots: readonly RootCa[],
): Promise<Uint8Array> {
  const stored = thumbprintOf(parts.certificate);
  if (stored !== thumbprint) {
    throw new UserPkcs12Error(`the secret of certificate ${certificateName} holds ${stored}, not ${thumbprint}`);
  }
  if (!keyMatchesCertificate(parts.privateKey, parts.certificate)) {
    throw new UserPkcs12Error(`the private key stored for certificate ${certificateName} is not its key`);
  }
  const [issuer, ...more] = parts.chain;
  if (issuer === undefined) {
    throw new UserPkcs12Error(`certificate ${certificateName} was stored without its issuer chain`);
  }
  const root = roots.find((r) => sameBytes(issuer, fromGatewayCertData(r.publicCertData)));
  if (more.length > 0 || root === undefined) {
    const names = roots.map((r) => `${r.name} ${r.thumbprint}`).join(", ");
    throw new UserPkcs12Error(
      `the chain stored with certificate ${certificateName} is not one trusted root alone (trusted: ${names})`,
    );
  }
  const rootDer = fromGatewayCertData(root.publicCertData);
  await verifyIssuedBy(parts.certificate, rootDer, certificateName).catch(() => {
    throw new UserPkcs12Error(`certificate ${certificateName} was not signed by its root ${root.thumbprint}`);
  });
  return rootDer;
}
