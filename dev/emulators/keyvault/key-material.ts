// RSA key pairs held by the emulated vault, and the two operations the product needs on them: sign a digest the
// caller computed (RS256/384/512, PKCS#1 v1.5, as Key Vault's keys/sign does) and verify. Private keys live only
// in memory and are never logged.
import { constants, generateKeyPair, privateEncrypt, publicDecrypt, timingSafeEqual } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { KeyUsage } from "./policy";
import { badParameter } from "./vault-error";

export interface RsaKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly size: number;
}

export function generateRsaKeyPair(size: number): Promise<RsaKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair("rsa", { modulusLength: size, publicExponent: 0x10001 }, (error, publicKey, privateKey) => {
      if (error !== null) reject(error);
      else resolve({ privateKey, publicKey, size });
    });
  });
}

/**
 * Keys made ahead of the creates that take them. Key Vault answers a create in about the same time however many
 * creates arrive together; the emulator, generating every key on the test machine's few cores, answers the last of
 * a burst of 20 seconds later. A benchmark that times the app against the vault's limits prepares keys first, so the
 * answer's delay is the vault's and not the machine's. Empty unless prepared: a create then generates its own key.
 * Each key is taken once.
 */
export class RsaKeyPool {
  readonly #ready = new Map<number, RsaKeyPair[]>();

  /** Generates `count` more keys of `size` bits (on libuv's thread pool, a few at a time). */
  async prepare(size: number, count: number): Promise<void> {
    const made = await Promise.all(Array.from({ length: count }, () => generateRsaKeyPair(size)));
    this.#ready.set(size, [...(this.#ready.get(size) ?? []), ...made]);
  }

  /** A prepared key of `size` bits, else a newly generated one. */
  take(size: number): Promise<RsaKeyPair> {
    const key = this.#ready.get(size)?.pop();
    return key === undefined ? generateRsaKeyPair(size) : Promise.resolve(key);
  }

  ready(size: number): number {
    return this.#ready.get(size)?.length ?? 0;
  }
}

/** The public half as JWK members (base64url n and e), as Key Vault returns keys. */
export function publicJwk(pair: RsaKeyPair): { n: string; e: string } {
  const jwk = pair.publicKey.export({ format: "jwk" });
  if (typeof jwk.n !== "string" || typeof jwk.e !== "string") throw new Error("RSA public key without n or e");
  return { n: jwk.n, e: jwk.e };
}

export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ format: "der", type: "spki" });
}

export type KeyOperation = "sign" | "verify" | "encrypt" | "decrypt" | "wrapKey" | "unwrapKey";

/** about-certificates, "Mapping X.509 usage to key operations": the key's operations follow the policy. */
const OPERATIONS_BY_USAGE: Readonly<Record<KeyUsage, readonly KeyOperation[]>> = {
  dataEncipherment: ["encrypt", "decrypt"],
  decipherOnly: ["decrypt"],
  digitalSignature: ["sign", "verify"],
  encipherOnly: ["encrypt"],
  keyCertSign: ["sign", "verify"],
  keyEncipherment: ["wrapKey", "unwrapKey"],
  nonRepudiation: ["sign", "verify"],
  cRLSign: ["sign", "verify"],
  keyAgreement: [],
};

const OPERATION_ORDER: readonly KeyOperation[] = ["sign", "verify", "encrypt", "decrypt", "wrapKey", "unwrapKey"];

export function keyOperationsFor(usages: readonly KeyUsage[]): KeyOperation[] {
  const granted = new Set(usages.flatMap((usage) => OPERATIONS_BY_USAGE[usage]));
  return OPERATION_ORDER.filter((operation) => granted.has(operation));
}

/**
 * DER DigestInfo prefixes (RFC 8017 section 9.2, note 1): PKCS#1 v1.5 signs DigestInfo(hash OID, digest), so a
 * pre-computed digest is signed by prefixing it and applying the private key with type-1 padding.
 */
const SIGNATURE_ALGORITHMS = {
  RS256: { digestLength: 32, prefix: "3031300d060960864801650304020105000420" },
  RS384: { digestLength: 48, prefix: "3041300d060960864801650304020205000430" },
  RS512: { digestLength: 64, prefix: "3051300d060960864801650304020305000440" },
} as const;
export type SignatureAlgorithm = keyof typeof SIGNATURE_ALGORITHMS;

export function isSignatureAlgorithm(alg: string): alg is SignatureAlgorithm {
  return Object.prototype.hasOwnProperty.call(SIGNATURE_ALGORITHMS, alg);
}

function digestInfo(alg: string, digest: Buffer): Buffer {
  if (!isSignatureAlgorithm(alg)) {
    throw badParameter(`Algorithm '${alg}' is not supported for RSA keys by this emulator (RS256, RS384, RS512).`);
  }
  const spec = SIGNATURE_ALGORITHMS[alg];
  if (digest.length !== spec.digestLength) {
    throw badParameter(`Invalid digest length ${digest.length} for ${alg}: expected ${spec.digestLength} bytes.`);
  }
  return Buffer.concat([Buffer.from(spec.prefix, "hex"), digest]);
}

export function signDigest(pair: RsaKeyPair, alg: string, digest: Buffer): Buffer {
  return privateEncrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo(alg, digest));
}

export function verifyDigest(pair: RsaKeyPair, alg: string, digest: Buffer, signature: Buffer): boolean {
  const expected = digestInfo(alg, digest);
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: pair.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  return recovered.length === expected.length && timingSafeEqual(recovered, expected);
}
