// RSA public keys as SubjectPublicKeyInfo DER: the only key type the VPN gateway accepts for P2S (no ECDSA), with a
// floor on the modulus size. Also converts Key Vault's JSON Web Key form (n, e) into SPKI.
import { createPrivateKey, createPublicKey } from "node:crypto";

export const MIN_RSA_MODULUS_BITS = 2048;

/** Parses an SPKI and returns its modulus size; throws unless it is a plain RSA key (not RSA-PSS) of `minBits`+. */
export function assertRsaPublicKey(spkiDer: Uint8Array, what: string, minBits = MIN_RSA_MODULUS_BITS): number {
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
  } catch {
    throw new Error(`${what} is not a readable SubjectPublicKeyInfo`);
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new Error(`${what} is of key type ${key.asymmetricKeyType ?? "unknown"}; only RSA is accepted`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < minBits) throw new Error(`${what} is RSA-${bits}; at least RSA-${minBits} is required`);
  return bits;
}

/** SPKI DER of an RSA public key given as big-endian modulus and exponent bytes (Key Vault's JsonWebKey n and e). */
export function rsaSpkiFromModulus(modulus: Uint8Array, exponent: Uint8Array): Uint8Array {
  const jwk = { kty: "RSA", n: base64Url(stripZeros(modulus)), e: base64Url(stripZeros(exponent)) };
  const spki = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "der" });
  return new Uint8Array(spki);
}

/** SPKI DER of the public half of a PKCS#8 private key. */
export function spkiOfPrivateKey(pkcs8Der: Uint8Array): Uint8Array {
  // A view, not Buffer.from(copy): a copy of the private key would land in Node's shared buffer pool.
  const privateKey = createPrivateKey({
    key: Buffer.from(pkcs8Der.buffer, pkcs8Der.byteOffset, pkcs8Der.byteLength),
    format: "der",
    type: "pkcs8",
  });
  return new Uint8Array(createPublicKey(privateKey).export({ type: "spki", format: "der" }));
}

function stripZeros(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function base64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}
