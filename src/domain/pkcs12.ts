// Password-protected PKCS#12 (PFX) files for users: their private key, their certificate and the chain. The
// formats are built by libraries on a worker thread (src/workers/pkcs12-thread.ts, buildPkcs12); this module checks
// what goes in.
//
// Profiles:
// - "aes256" (default, pkcs12-aes.ts, pkijs): PBES2 = PBKDF2-HMAC-SHA256 + AES-256-CBC for the key bag and the
//   certificates, MAC HMAC-SHA256. Opens in Windows 10 1709+/Server 2019+, OpenSSL 1.1+/3, macOS 14+, current Android.
// - "legacy3des" (pkcs12-legacy.ts, node-forge): key bag under pbeWithSHAAnd3-KeyTripleDES-CBC, certificates
//   unencrypted, MAC HMAC-SHA1, for older macOS keychains and Android. Weak against offline guessing: on request only.
//
// Iterations: 100,000 by default for AES, the same count for PBKDF2 on both parts and for the MAC. Not higher
// because loaders cap PKCS#12 work per file (.NET's Pkcs12LoaderLimits has per-KDF and total limits); 2,048 for
// legacy, the OpenSSL and Windows default the old clients were built against. The passphrase matters more.
import { X509Certificate, createPrivateKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { Pkcs12Encryption, Pkcs12Job } from "./pkcs12-job";

export type { Pkcs12Encryption } from "./pkcs12-job";

export const DEFAULT_PKCS12_ITERATIONS: Readonly<Record<Pkcs12Encryption, number>> = {
  aes256: 100_000,
  legacy3des: 2_048,
};
export const MIN_PKCS12_ITERATIONS = 1_000;
export const MAX_PKCS12_ITERATIONS = 1_000_000;
/** node-forge writes the MAC iteration count as a 16-bit INTEGER. */
const MAX_LEGACY_ITERATIONS = 65_535;
const MAX_PASSWORD_LENGTH = 1_024;
const MAX_FRIENDLY_NAME_LENGTH = 256;

export interface Pkcs12Input {
  /** PKCS#8 DER (unencrypted). The caller zeroises it after the call. */
  readonly privateKey: Uint8Array;
  /** The leaf certificate, DER; its public key must match `privateKey`. */
  readonly certificate: Uint8Array;
  /** Issuer certificates, DER, leaf's issuer first (for P2S: the root). */
  readonly chain?: readonly Uint8Array[];
  readonly friendlyName?: string;
  /** Non-empty. Never logged. */
  readonly password: string;
  readonly encryption?: Pkcs12Encryption;
  /** Defaults to DEFAULT_PKCS12_ITERATIONS[encryption]; 1,000-1,000,000 (legacy: at most 65,535). */
  readonly iterations?: number;
}

/** The worker thread's job for `input`, with its defaults; throws when the input may not be built. */
export function pkcs12Job(input: Pkcs12Input): Pkcs12Job {
  const encryption = input.encryption ?? "aes256";
  const iterations = input.iterations ?? DEFAULT_PKCS12_ITERATIONS[encryption];
  checkInput(input, encryption, iterations);
  return {
    encryption,
    privateKey: input.privateKey,
    certificates: [input.certificate, ...(input.chain ?? [])],
    ...(input.friendlyName === undefined ? {} : { friendlyName: input.friendlyName }),
    password: input.password,
    iterations,
  };
}

/** Whether `privateKey` (PKCS#8 DER) is the key of `certificate` (DER). Throws on unreadable input. */
export function keyMatchesCertificate(privateKey: Uint8Array, certificate: Uint8Array): boolean {
  return new X509Certificate(certificate).checkPrivateKey(readPrivateKey(privateKey));
}

function readPrivateKey(pkcs8: Uint8Array): KeyObject {
  try {
    // A Buffer over the same memory: Buffer.from(Uint8Array) would copy the key into Node's shared pool.
    const { buffer, byteOffset, byteLength } = pkcs8;
    return createPrivateKey({ key: Buffer.from(buffer, byteOffset, byteLength), format: "der", type: "pkcs8" });
  } catch {
    throw new Error("private key is not a readable PKCS#8 key");
  }
}

function checkInput(input: Pkcs12Input, encryption: Pkcs12Encryption, iterations: number): void {
  if (input.password === "") throw new Error("a PKCS#12 for a user needs a non-empty passphrase");
  if (input.password.length > MAX_PASSWORD_LENGTH)
    throw new Error(`passphrase is longer than ${MAX_PASSWORD_LENGTH} characters`);
  const max = encryption === "legacy3des" ? MAX_LEGACY_ITERATIONS : MAX_PKCS12_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < MIN_PKCS12_ITERATIONS || iterations > max) {
    throw new Error(`PKCS#12 iterations must be ${MIN_PKCS12_ITERATIONS}-${max}, got ${iterations}`);
  }
  if (input.friendlyName !== undefined) {
    if (input.friendlyName === "" || input.friendlyName.length > MAX_FRIENDLY_NAME_LENGTH) {
      throw new Error(`friendly name must be 1-${MAX_FRIENDLY_NAME_LENGTH} characters`);
    }
    // BMPString cannot carry characters outside the Basic Multilingual Plane.
    if (/[\ud800-\udfff]/.test(input.friendlyName)) throw new Error("friendly name must stay within the BMP");
  }
  for (const der of [input.certificate, ...(input.chain ?? [])]) {
    try {
      new X509Certificate(der);
    } catch {
      throw new Error("a certificate of the PKCS#12 is not readable DER");
    }
  }
  if (!keyMatchesCertificate(input.privateKey, input.certificate)) {
    throw new Error("private key does not match the certificate's public key");
  }
}
