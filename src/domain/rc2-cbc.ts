// RC2-CBC decryption (RFC 2268), only for reading PKCS#12 files whose certificates are under
// pbeWithSHAAnd40BitRC2-CBC, the Windows and old OpenSSL default. Node's OpenSSL 3 keeps RC2 in the legacy provider,
// which is not loaded, so it is done here. Never used to write.

// PITABLE from RFC 2268 section 2: a permutation of 0..255 derived from the digits of pi.
const PITABLE = Uint8Array.from(
  Buffer.from(
    "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32" +
      "bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626" +
      "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a96" +
      "1ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731" +
      "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2e" +
      "c5f3db47e5a59c770aa62068fe7fc1ad",
    "hex",
  ),
);

const BLOCK = 8;

/** Key schedule K[0..63] for a key of 1-128 bytes and an effective key size of 1-1024 bits. */
function expandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  if (key.length < 1 || key.length > 128) throw new Error("RC2 key must be 1-128 bytes");
  if (!Number.isInteger(effectiveBits) || effectiveBits < 1 || effectiveBits > 1024) {
    throw new Error("RC2 effective key bits must be 1-1024");
  }
  const l = new Uint8Array(128);
  l.set(key);
  const t = key.length;
  for (let i = t; i < 128; i++) l[i] = PITABLE[((l[i - 1] ?? 0) + (l[i - t] ?? 0)) & 0xff] ?? 0;
  const t8 = Math.ceil(effectiveBits / 8);
  const tm = 0xff >> (8 * t8 - effectiveBits);
  l[128 - t8] = PITABLE[(l[128 - t8] ?? 0) & tm] ?? 0;
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[(l[i + 1] ?? 0) ^ (l[i + t8] ?? 0)] ?? 0;
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = (l[2 * i] ?? 0) | ((l[2 * i + 1] ?? 0) << 8);
  l.fill(0);
  return k;
}

const SHIFTS = [1, 2, 3, 5] as const;

function decryptBlock(k: Uint16Array, input: Uint8Array, output: Uint8Array, offset: number): void {
  const r = new Uint16Array(4);
  for (let i = 0; i < 4; i++) r[i] = (input[offset + 2 * i] ?? 0) | ((input[offset + 2 * i + 1] ?? 0) << 8);
  let j = 63;
  const at = (i: number): number => r[i & 3] ?? 0;
  const mixRound = (): void => {
    for (let i = 3; i >= 0; i--) {
      const s = SHIFTS[i] ?? 0;
      const x = at(i);
      const rotated = ((x >>> s) | (x << (16 - s))) & 0xffff;
      r[i] = rotated - (k[j] ?? 0) - (at(i - 1) & at(i - 2)) - (~at(i - 1) & at(i - 3));
      j--;
    }
  };
  const mashRound = (): void => {
    for (let i = 3; i >= 0; i--) r[i] = at(i) - (k[at(i - 1) & 63] ?? 0);
  };
  for (let n = 0; n < 5; n++) mixRound();
  mashRound();
  for (let n = 0; n < 6; n++) mixRound();
  mashRound();
  for (let n = 0; n < 5; n++) mixRound();
  for (let i = 0; i < 4; i++) {
    output[offset + 2 * i] = at(i) & 0xff;
    output[offset + 2 * i + 1] = at(i) >> 8;
  }
}

/** Decrypts RC2-CBC with PKCS#7 padding; throws on a bad length or padding (usually a wrong password). */
export function rc2CbcDecrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (iv.length !== BLOCK) throw new Error("RC2 IV must be 8 bytes");
  if (data.length === 0 || data.length % BLOCK !== 0) throw new Error("RC2 ciphertext is not a whole number of blocks");
  const k = expandKey(key, effectiveBits);
  const out = new Uint8Array(data.length);
  for (let offset = 0; offset < data.length; offset += BLOCK) {
    decryptBlock(k, data, out, offset);
    for (let i = 0; i < BLOCK; i++) {
      const chain = offset === 0 ? iv[i] : data[offset - BLOCK + i];
      out[offset + i] = (out[offset + i] ?? 0) ^ (chain ?? 0);
    }
  }
  k.fill(0);
  const pad = out[out.length - 1] ?? 0;
  const valid = pad >= 1 && pad <= BLOCK && out.subarray(out.length - pad).every((b) => b === pad);
  if (!valid) {
    out.fill(0);
    throw new Error("bad decrypt");
  }
  const plain = out.slice(0, out.length - pad);
  out.fill(0);
  return plain;
}
