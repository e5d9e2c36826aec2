// Password-based encryption for PKCS#12 bags and SafeContents.
// Written: PBES2 (PBKDF2-HMAC-SHA256 + AES-256-CBC, OpenSSL 3's and Windows' modern default) or, for old clients,
// pbeWithSHAAnd3-KeyTripleDES-CBC. Read: those two plus the other schemes found in files from Windows, Key Vault
// and older OpenSSL (PBES2 with AES-128/192 or 3DES and any SHA PRF; PKCS#12 PBE with 2-key 3DES or RC2).
// PBES2 takes the password as UTF-8 bytes; the PKCS#12 PBEs take it as BMPString (see pkcs12-kdf).
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { DER_NULL, OID, OctetStringValue, Pbes2Params, Pbkdf2Params, Pkcs12PbeParams } from "./pkcs12-asn1";
import { KDF_ID_IV, KDF_ID_KEY, bmpPassword, pkcs12Kdf } from "./pkcs12-kdf";
import { rc2CbcDecrypt } from "./rc2-cbc";

const pbkdf2Async = promisify(pbkdf2);

export type Pkcs12Encryption = "aes256" | "legacy3des";

/** The password in the two byte forms the schemes use. Owned by the caller, who zeroises it. */
export interface PasswordForms {
  readonly utf8: Uint8Array;
  /** BMPString forms to try for PKCS#12 PBE, best first ("" has two conventions: 00 00, and nothing). */
  readonly bmp: readonly Uint8Array[];
}

export function passwordForms(password: string): PasswordForms {
  const bmp = bmpPassword(password);
  // "" has two conventions for the PKCS#12 KDF: the terminator alone (OpenSSL, `-passin pass:`) or no bytes at all.
  // TextEncoder gives a fresh array; a small Buffer.from would leave a copy in Node's shared pool.
  return { utf8: new TextEncoder().encode(password), bmp: password === "" ? [bmp, new Uint8Array(0)] : [bmp] };
}

export function zeroise(password: PasswordForms): void {
  password.utf8.fill(0);
  for (const form of password.bmp) form.fill(0);
}

export interface PasswordEncrypted {
  readonly algorithm: AlgorithmIdentifier;
  readonly ciphertext: Uint8Array;
}

export async function encryptWithPassword(
  plain: Uint8Array,
  password: PasswordForms,
  encryption: Pkcs12Encryption,
  iterations: number,
): Promise<PasswordEncrypted> {
  if (encryption === "aes256") {
    const salt = randomBytes(16);
    const iv = randomBytes(16);
    const key = await pbkdf2Async(password.utf8, salt, iterations, 32, "sha256");
    const ciphertext = encrypt("aes-256-cbc", key, iv, plain);
    key.fill(0);
    const kdf = new AlgorithmIdentifier({
      algorithm: OID.pbkdf2,
      parameters: AsnConvert.serialize(
        new Pbkdf2Params({
          salt: toArrayBuffer(salt),
          iterationCount: iterations,
          prf: new AlgorithmIdentifier({ algorithm: OID.hmacWithSHA256, parameters: DER_NULL }),
        }),
      ),
    });
    const scheme = new AlgorithmIdentifier({
      algorithm: OID.aes256Cbc,
      parameters: AsnConvert.serialize(new OctetStringValue(toArrayBuffer(iv))),
    });
    const params = new Pbes2Params({ keyDerivationFunc: kdf, encryptionScheme: scheme });
    return {
      algorithm: new AlgorithmIdentifier({ algorithm: OID.pbes2, parameters: AsnConvert.serialize(params) }),
      ciphertext,
    };
  }
  const salt = randomBytes(8);
  const bmp = firstBmp(password);
  const key = pkcs12Kdf("sha1", bmp, salt, iterations, KDF_ID_KEY, 24);
  const iv = pkcs12Kdf("sha1", bmp, salt, iterations, KDF_ID_IV, 8);
  const ciphertext = encrypt("des-ede3-cbc", key, iv, plain);
  key.fill(0);
  const params = new Pkcs12PbeParams({ salt: toArrayBuffer(salt), iterations });
  return {
    algorithm: new AlgorithmIdentifier({
      algorithm: OID.pbeWithSHAAnd3KeyTripleDESCBC,
      parameters: AsnConvert.serialize(params),
    }),
    ciphertext,
  };
}

export class UnsupportedEncryptionError extends Error {
  override readonly name = "UnsupportedEncryptionError";
}

/** Decrypts content encrypted under `algorithm`; throws "bad decrypt" when no password form works. */
export async function decryptWithPassword(
  algorithm: AlgorithmIdentifier,
  ciphertext: Uint8Array,
  password: PasswordForms,
): Promise<Uint8Array> {
  if (algorithm.algorithm === OID.pbes2) return decryptPbes2(paramsOf(algorithm), ciphertext, password);
  const pbe = PKCS12_PBE.get(algorithm.algorithm);
  if (pbe === undefined) throw new UnsupportedEncryptionError(`unsupported PKCS#12 encryption ${algorithm.algorithm}`);
  const params = AsnConvert.parse(paramsOf(algorithm), Pkcs12PbeParams);
  const salt = new Uint8Array(params.salt);
  let lastError: unknown = new Error("bad decrypt");
  for (const bmp of password.bmp) {
    const key = pkcs12Kdf("sha1", bmp, salt, params.iterations, KDF_ID_KEY, pbe.keyLength);
    const iv = pkcs12Kdf("sha1", bmp, salt, params.iterations, KDF_ID_IV, 8);
    try {
      return pbe.rc2Bits === undefined
        ? decrypt(pbe.cipher, key, iv, ciphertext)
        : rc2CbcDecrypt(key, pbe.rc2Bits, iv, ciphertext);
    } catch (error) {
      lastError = error;
    } finally {
      key.fill(0);
    }
  }
  throw lastError;
}

interface PbeScheme {
  readonly cipher: string;
  readonly keyLength: number;
  readonly rc2Bits?: number;
}

const PKCS12_PBE: ReadonlyMap<string, PbeScheme> = new Map([
  [OID.pbeWithSHAAnd3KeyTripleDESCBC, { cipher: "des-ede3-cbc", keyLength: 24 }],
  [OID.pbeWithSHAAnd2KeyTripleDESCBC, { cipher: "des-ede-cbc", keyLength: 16 }],
  [OID.pbeWithSHAAnd128BitRC2CBC, { cipher: "rc2", keyLength: 16, rc2Bits: 128 }],
  [OID.pbeWithSHAAnd40BitRC2CBC, { cipher: "rc2", keyLength: 5, rc2Bits: 40 }],
]);

const PBES2_CIPHERS: ReadonlyMap<string, { readonly cipher: string; readonly keyLength: number }> = new Map([
  [OID.aes128Cbc, { cipher: "aes-128-cbc", keyLength: 16 }],
  [OID.aes192Cbc, { cipher: "aes-192-cbc", keyLength: 24 }],
  [OID.aes256Cbc, { cipher: "aes-256-cbc", keyLength: 32 }],
  [OID.desEde3Cbc, { cipher: "des-ede3-cbc", keyLength: 24 }],
]);

const PRF_HASHES: ReadonlyMap<string, string> = new Map([
  [OID.hmacWithSHA1, "sha1"],
  [OID.hmacWithSHA224, "sha224"],
  [OID.hmacWithSHA256, "sha256"],
  [OID.hmacWithSHA384, "sha384"],
  [OID.hmacWithSHA512, "sha512"],
]);

async function decryptPbes2(
  parameters: ArrayBuffer,
  ciphertext: Uint8Array,
  password: PasswordForms,
): Promise<Uint8Array> {
  const pbes2 = AsnConvert.parse(parameters, Pbes2Params);
  if (pbes2.keyDerivationFunc.algorithm !== OID.pbkdf2) {
    throw new UnsupportedEncryptionError(`unsupported PBES2 key derivation ${pbes2.keyDerivationFunc.algorithm}`);
  }
  const kdf = AsnConvert.parse(paramsOf(pbes2.keyDerivationFunc), Pbkdf2Params);
  const scheme = PBES2_CIPHERS.get(pbes2.encryptionScheme.algorithm);
  if (scheme === undefined) {
    throw new UnsupportedEncryptionError(`unsupported PBES2 cipher ${pbes2.encryptionScheme.algorithm}`);
  }
  const prf = PRF_HASHES.get(kdf.prf?.algorithm ?? OID.hmacWithSHA1);
  if (prf === undefined) throw new UnsupportedEncryptionError(`unsupported PBKDF2 PRF ${kdf.prf?.algorithm ?? ""}`);
  if (kdf.keyLength !== undefined && kdf.keyLength !== scheme.keyLength) {
    throw new UnsupportedEncryptionError("PBKDF2 key length does not match the cipher");
  }
  const iv = new Uint8Array(AsnConvert.parse(paramsOf(pbes2.encryptionScheme), OctetStringValue).value);
  const key = await pbkdf2Async(password.utf8, new Uint8Array(kdf.salt), kdf.iterationCount, scheme.keyLength, prf);
  try {
    return decrypt(scheme.cipher, key, iv, ciphertext);
  } finally {
    key.fill(0);
  }
}

function encrypt(cipher: string, key: Uint8Array, iv: Uint8Array, plain: Uint8Array): Uint8Array {
  const c = createCipheriv(cipher, key, iv);
  return new Uint8Array(Buffer.concat([c.update(plain), c.final()]));
}

function decrypt(cipher: string, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const d = createDecipheriv(cipher, key, iv);
  const head = d.update(ciphertext);
  try {
    const tail = d.final();
    const plain = new Uint8Array(Buffer.concat([head, tail]));
    tail.fill(0);
    return plain;
  } finally {
    head.fill(0);
  }
}

function paramsOf(algorithm: AlgorithmIdentifier): ArrayBuffer {
  if (!algorithm.parameters) throw new UnsupportedEncryptionError(`algorithm ${algorithm.algorithm} has no parameters`);
  return algorithm.parameters;
}

function firstBmp(password: PasswordForms): Uint8Array {
  const [bmp] = password.bmp;
  if (bmp === undefined) throw new Error("no BMPString form of the password");
  return bmp;
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}
