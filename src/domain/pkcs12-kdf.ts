// The PKCS#12 key derivation function (RFC 7292 appendix B.2), used for the MAC key in every mode and for the
// keys and IVs of the legacy pbeWithSHAAnd* ciphers. Passwords enter it as BMPString (UTF-16BE) with a two-byte
// terminator, the convention OpenSSL and Windows follow.
import { createHash, createHmac } from "node:crypto";

export type Pkcs12KdfHash = "sha1" | "sha256" | "sha384" | "sha512";

export const KDF_ID_KEY = 1;
export const KDF_ID_IV = 2;
export const KDF_ID_MAC = 3;

// u = output size, v = block size, both in bytes.
const SIZES: Readonly<Record<Pkcs12KdfHash, { readonly u: number; readonly v: number }>> = {
  sha1: { u: 20, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
};

/** The password as BMPString bytes plus the 00 00 terminator; "" gives just the terminator. Zeroise after use. */
export function bmpPassword(password: string): Uint8Array {
  const out = new Uint8Array(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i);
    out[2 * i] = unit >> 8;
    out[2 * i + 1] = unit & 0xff;
  }
  return out;
}

export function pkcs12Kdf(
  hash: Pkcs12KdfHash,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  id: number,
  length: number,
): Uint8Array {
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error("PKCS#12 KDF iterations must be at least 1");
  const { u, v } = SIZES[hash];
  const diversifier = new Uint8Array(v).fill(id);
  const s = input(salt, v);
  const p = input(password, v);
  const block = new Uint8Array(s.length + p.length);
  block.set(s, 0);
  block.set(p, s.length);
  if (p !== password) p.fill(0);
  const out = new Uint8Array(Math.ceil(length / u) * u);
  const b = new Uint8Array(v);
  for (let i = 0; i * u < length; i++) {
    let a = createHash(hash).update(diversifier).update(block).digest();
    for (let r = 1; r < iterations; r++) a = createHash(hash).update(a).digest();
    out.set(a, i * u);
    for (let k = 0; k < v; k++) b[k] = a[k % u] ?? 0;
    // I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block of I.
    for (let j = 0; j < block.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (block[j + k] ?? 0) + (b[k] ?? 0) + carry;
        block[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
    a.fill(0);
  }
  block.fill(0);
  b.fill(0);
  const result = out.slice(0, length);
  out.fill(0);
  return result;
}

export function computeMac(
  hash: Pkcs12KdfHash,
  bmp: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  content: Uint8Array,
): Uint8Array {
  const key = pkcs12Kdf(hash, bmp, salt, iterations, KDF_ID_MAC, SIZES[hash].u);
  try {
    return new Uint8Array(createHmac(hash, key).update(content).digest());
  } finally {
    key.fill(0);
  }
}

// S or P of the RFC: the value repeated to a whole number of v-byte blocks (empty stays empty).
function input(value: Uint8Array, v: number): Uint8Array {
  if (value.length === 0) return value;
  const out = new Uint8Array(Math.ceil(value.length / v) * v);
  for (let i = 0; i < out.length; i++) out[i] = value[i % value.length] ?? 0;
  return out;
}
