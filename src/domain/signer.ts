// The CA's signing key seen as a digest signer, so that it can live in Key Vault (keys/sign) and never leave it.
// @peculiar/x509 signs through a WebCrypto provider; `signerCrypto` gives it one whose subtle.sign hashes the TBS
// bytes locally and hands only the digest to the signer. Every other call goes to Node's WebCrypto.
import { createHash, webcrypto } from "node:crypto";

export type SignerAlgorithm = "RS256" | "RS384" | "RS512";

/**
 * RSASSA-PKCS1-v1_5 over a precomputed digest. The Key Vault wrapper implements it with
 * `CryptographyClient.sign(algorithm, digest)`; `createKeyObjectSigner` implements it locally.
 */
export interface Signer {
  readonly algorithm: SignerAlgorithm;
  sign(digest: Uint8Array): Promise<Uint8Array>;
}

interface HashInfo {
  readonly webName: "SHA-256" | "SHA-384" | "SHA-512";
  readonly nodeName: "sha256" | "sha384" | "sha512";
  readonly length: number;
}

const HASHES: Readonly<Record<SignerAlgorithm, HashInfo>> = {
  RS256: { webName: "SHA-256", nodeName: "sha256", length: 32 },
  RS384: { webName: "SHA-384", nodeName: "sha384", length: 48 },
  RS512: { webName: "SHA-512", nodeName: "sha512", length: 64 },
};

export function hashOf(algorithm: SignerAlgorithm): HashInfo {
  return HASHES[algorithm];
}

/**
 * The part of WebCrypto that @peculiar/x509 uses while building a certificate: sign goes to the signer, the rest
 * (digests for key identifiers, key export and import, verification) to Node's WebCrypto.
 */
export interface CertificateCrypto {
  readonly subtle: {
    sign(algorithm: unknown, key: webcrypto.CryptoKey, data: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer>;
    digest: webcrypto.SubtleCrypto["digest"];
    exportKey: webcrypto.SubtleCrypto["exportKey"];
    importKey: webcrypto.SubtleCrypto["importKey"];
    verify: webcrypto.SubtleCrypto["verify"];
  };
  getRandomValues: webcrypto.Crypto["getRandomValues"];
}

export interface SignerBinding {
  readonly crypto: CertificateCrypto;
  /** A stand-in private key: passing it as `signingKey` routes signing to the signer. */
  readonly signingKey: webcrypto.CryptoKey;
}

export function signerCrypto(signer: Signer): SignerBinding {
  const hash = hashOf(signer.algorithm);
  const signingKey: webcrypto.CryptoKey = {
    algorithm: { name: "RSASSA-PKCS1-v1_5", hash: { name: hash.webName } } as webcrypto.KeyAlgorithm,
    extractable: false,
    type: "private",
    usages: ["sign"],
  };
  const subtle = webcrypto.subtle;
  const crypto: CertificateCrypto = {
    subtle: {
      async sign(_algorithm, key, data) {
        if (key !== signingKey) throw new Error("this crypto provider only signs with its own signer");
        const digest = createHash(hash.nodeName).update(toBytes(data)).digest();
        // A copy each way: the signer may keep what it is given, and SDK results may be views of a shared pool.
        const signature = new Uint8Array(await signer.sign(new Uint8Array(digest)));
        if (signature.length === 0) throw new Error("the signer returned an empty signature");
        return signature.buffer;
      },
      digest: subtle.digest.bind(subtle),
      exportKey: subtle.exportKey.bind(subtle),
      importKey: subtle.importKey.bind(subtle),
      verify: subtle.verify.bind(subtle),
    },
    getRandomValues: webcrypto.getRandomValues.bind(webcrypto),
  };
  return { crypto, signingKey };
}

function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
