// A Key Vault certificate's secret turned into one private key, its certificate and the rest of the chain.
// Key Vault returns the secret of an exportable certificate as the policy's content type says. This app asks for
// application/x-pem-file (the PKCS#8 key, then the certificates) for every certificate it creates, so that is the
// only form read; a PKCS#12 secret (application/x-pkcs12) is refused rather than parsed.
import { createPrivateKey } from "node:crypto";
import { certificateParts, sameBytes } from "./certificate-der";
import { pemBlocks } from "./pem";
import { spkiOfPrivateKey } from "./rsa-public-key";

export interface CertificateWithKey {
  /** PKCS#8 DER. Secret: the caller zeroises it (`privateKey.fill(0)`) when done and never logs it. */
  readonly privateKey: Uint8Array;
  /** The certificate whose public key matches `privateKey`, DER. */
  readonly certificate: Uint8Array;
  /** The other certificates, issuer of the previous one first where the chain can be followed. */
  readonly chain: readonly Uint8Array[];
}

export const PEM_CONTENT_TYPE = "application/x-pem-file";

/** The keys (PKCS#8 DER) and certificates (DER) of a secret, in the order found. */
export interface KeysAndCertificates {
  readonly privateKeys: readonly { readonly der: Uint8Array }[];
  readonly certificates: readonly { readonly der: Uint8Array }[];
}

/**
 * Reads a certificate secret's `value` given its `contentType` (sniffed when absent: PEM starts with "-----BEGIN").
 * Only PEM: the app creates every certificate with that content type.
 */
export async function readCertificateSecret(
  value: string,
  contentType: string | undefined,
): Promise<CertificateWithKey> {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  if (type === PEM_CONTENT_TYPE || (type === undefined && value.trimStart().startsWith("-----BEGIN"))) {
    return Promise.resolve(selectKeyAndChain(readPemBundle(value)));
  }
  return Promise.reject(
    new Error(`unsupported certificate secret content type '${contentType ?? ""}' (expected ${PEM_CONTENT_TYPE})`),
  );
}

/** The keys and certificates of a PEM bundle. Encrypted PEM keys are refused. */
export function readPemBundle(text: string): KeysAndCertificates {
  const privateKeys: { der: Uint8Array }[] = [];
  const certificates: { der: Uint8Array }[] = [];
  for (const block of pemBlocks(text)) {
    switch (block.label) {
      case "PRIVATE KEY":
        privateKeys.push({ der: block.der });
        break;
      case "RSA PRIVATE KEY": {
        const pkcs8 = pkcs1ToPkcs8(block.der);
        block.der.fill(0);
        privateKeys.push({ der: pkcs8 });
        break;
      }
      case "CERTIFICATE":
        certificates.push({ der: block.der });
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
export function selectKeyAndChain(contents: KeysAndCertificates): CertificateWithKey {
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
  // `current` is never in `rest` (the leaf was left out, each issuer is spliced out when taken): a self-signed root
  // cannot name itself, and the walk ends.
  for (;;) {
    const issuerIndex = rest.findIndex((c) => sameBytes(c.parts.subject, current.parts.issuer));
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
