// A `Signer` over a local RSA private key: what Key Vault's keys/sign does, done with Node's crypto. Used by tests
// and by local emulators; production signs in Key Vault.
import { constants, privateEncrypt } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { hashOf } from "./signer";
import type { Signer, SignerAlgorithm } from "./signer";

// DER prefixes of DigestInfo { AlgorithmIdentifier(hash, NULL), OCTET STRING(digest) } from RFC 8017 section 9.2.
const DIGEST_INFO_PREFIX: Readonly<Record<SignerAlgorithm, string>> = {
  RS256: "3031300d060960864801650304020105000420",
  RS384: "3041300d060960864801650304020205000430",
  RS512: "3051300d060960864801650304020305000440",
};

/** RSASSA-PKCS1-v1_5 signature of a precomputed digest, as Key Vault's sign operation returns it. */
export function signDigest(privateKey: KeyObject, algorithm: SignerAlgorithm, digest: Uint8Array): Uint8Array {
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "rsa") {
    throw new Error("signDigest needs an RSA private key");
  }
  const expected = hashOf(algorithm).length;
  if (digest.length !== expected) throw new Error(`${algorithm} signs a ${expected}-byte digest, got ${digest.length}`);
  const digestInfo = Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], "hex"), digest]);
  return new Uint8Array(privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo));
}

export function createKeyObjectSigner(privateKey: KeyObject, algorithm: SignerAlgorithm = "RS256"): Signer {
  return {
    algorithm,
    // Through a promise chain so that a bad digest rejects rather than throws synchronously.
    sign: (digest) => Promise.resolve().then(() => signDigest(privateKey, algorithm, digest)),
  };
}
