// A Key Vault certificate's secret turned into one private key, its certificate and the rest of the chain.
// Key Vault returns the secret of an exportable certificate as the policy's content type says: application/x-pkcs12
// (base64 PFX without a password) or application/x-pem-file (PEM: the PKCS#8 key, then the certificates).
import { createPrivateKey } from "node:crypto";
import { certificateParts, sameBytes } from "./certificate-der";
import { fromBase64, pemBlocks } from "./pem";
import { readPkcs12 } from "./pkcs12-read";
import type { Pkcs12Contents } from "./pkcs12-read";
import { spkiOfPrivateKey } from "./rsa-public-key";

export interface CertificateWithKey {
  /** PKCS#8 DER. Secret: the caller zeroises it (`privateKey.fill(0)`) when done and never logs it. */
  readonly privateKey: Uint8Array;
  /** The certificate whose public key matches `privateKey`, DER. */
  readonly certificate: Uint8Array;
  /** The other certificates, issuer of the previous one first where the chain can be followed. */
  readonly chain: readonly Uint8Array[];
}

export const PKCS12_CONTENT_TYPE = "application/x-pkcs12";
export const PEM_CONTENT_TYPE = "application/x-pem-file";

/**
 * Reads a certificate secret's `value` given its `contentType` (sniffed when absent: PEM starts with "-----BEGIN").
 * `password` is for PKCS#12 only; Key Vault's have none.
 */
export async function readCertificateSecret(
  value: string,
  contentType: string | undefined,
  password = "",
): Promise<CertificateWithKey> {
  const type =
    contentType?.split(";")[0]?.trim().toLowerCase() ??
    (value.trimStart().startsWith("-----BEGIN") ? PEM_CONTENT_TYPE : PKCS12_CONTENT_TYPE);
  if (type === PEM_CONTENT_TYPE) return selectKeyAndChain(readPemBundle(value));
  if (type === PKCS12_CONTENT_TYPE) {
    const pfx = fromBase64(value, "PKCS#12 secret");
    try {
      return selectKeyAndChain(await readPkcs12(pfx, password));
    } finally {
      pfx.fill(0);
    }
  }
  throw new Error(`unsupported certificate secret content type '${contentType ?? ""}'`);
}

/** The keys and certificates of a PEM bundle. Encrypted PEM keys are refused. */
export function readPemBundle(text: string): Pkcs12Contents {
  const privateKeys: Pkcs12Contents["privateKeys"][number][] = [];
  const certificates: Pkcs12Contents["certificates"][number][] = [];
  for (const block of pemBlocks(text)) {
    switch (block.label) {
      case "PRIVATE KEY":
        privateKeys.push({ der: block.der, localKeyId: undefined, friendlyName: undefined });
        break;
      case "RSA PRIVATE KEY": {
        const pkcs8 = pkcs1ToPkcs8(block.der);
        block.der.fill(0);
        privateKeys.push({ der: pkcs8, localKeyId: undefined, friendlyName: undefined });
        break;
      }
      case "CERTIFICATE":
        certificates.push({ der: block.der, localKeyId: undefined, friendlyName: undefined });
        break;
      case "ENCRYPTED PRIVATE KEY":
        throw new Error("encrypted PEM private keys are not supported");
      default:
        break;
    }
  }
  return { privateKeys, certificates };
}

/** Exactly one key, the certificate that matches it, and the chain ordered from it where possible. */
export function selectKeyAndChain(contents: Pkcs12Contents): CertificateWithKey {
  const [key, ...extraKeys] = contents.privateKeys;
  if (key === undefined) throw new Error("the secret holds no private key (is the key exportable?)");
  if (extraKeys.length > 0)
    throw new Error(`the secret holds ${contents.privateKeys.length} private keys; expected one`);
  const spki = spkiOfPrivateKey(key.der);
  const certificates = contents.certificates.map((c) => ({ der: c.der, parts: certificateParts(c.der) }));
  const leafIndex = certificates.findIndex((c) => sameBytes(c.parts.subjectPublicKeyInfo, spki));
  const leaf = certificates[leafIndex];
  if (leaf === undefined) throw new Error("no certificate in the secret matches its private key");
  const rest = certificates.filter((_, i) => i !== leafIndex);
  const chain: typeof certificates = [];
  let current = leaf;
  for (;;) {
    const issuerIndex = rest.findIndex((c) => c !== current && sameBytes(c.parts.subject, current.parts.issuer));
    const issuer = rest[issuerIndex];
    if (issuer === undefined) break;
    chain.push(issuer);
    rest.splice(issuerIndex, 1);
    current = issuer;
  }
  return { privateKey: key.der, certificate: leaf.der, chain: [...chain, ...rest].map((c) => c.der) };
}

function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  const exported = createPrivateKey({ key: bufferView(pkcs1), format: "der", type: "pkcs1" }).export({
    type: "pkcs8",
    format: "der",
  });
  const copy = new Uint8Array(exported);
  exported.fill(0);
  return copy;
}

// A Buffer over the same memory: Buffer.from(Uint8Array) would copy secrets into Node's shared pool.
function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
