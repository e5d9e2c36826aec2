// Shared fixtures for the CA tests: throwaway RSA keys, CSRs, a root CA with a local signer, and an `openssl` runner
// over files in a temporary directory that each test file removes when it ends.
import "reflect-metadata";
import { execFile } from "node:child_process";
import { KeyObject, createPrivateKey, createPublicKey, randomUUID, webcrypto } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pkcs10CertificateRequestGenerator } from "@peculiar/x509";
import { createKeyObjectSigner } from "../../../src/domain/key-object-signer";
import { derToPem } from "../../../src/domain/pem";
import { buildRootCertificate } from "../../../src/domain/root-certificate";
import { generateSerialNumber } from "../../../src/domain/serial-number";
import type { Signer } from "../../../src/domain/signer";
import { rootValidity } from "../../../src/domain/validity";

export interface TestKey {
  readonly pair: webcrypto.CryptoKeyPair;
  readonly privateKey: KeyObject;
  readonly pkcs8: Uint8Array;
  readonly spki: Uint8Array;
}

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

// A 2048-bit key takes 0.1 to 1 s to make, and `npm run mutate` reruns a test file (its beforeAll included) for every
// mutant it reaches: so a test file's n-th key of a size is made once per machine and kept, PKCS#8, in a private
// directory under the OS temp dir (never in the repository). Each call in a file still gets a key of its own.
const KEY_CACHE = join(tmpdir(), `p2s-test-keys-${process.getuid?.() ?? "user"}`);
const keysTaken = new Map<number, number>();

async function generatedPkcs8(bits: number): Promise<Uint8Array> {
  const pair = await webcrypto.subtle.generateKey(
    { ...RSA, modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["sign", "verify"],
  );
  return new Uint8Array(await webcrypto.subtle.exportKey("pkcs8", pair.privateKey));
}

async function cachedPkcs8(bits: number): Promise<Uint8Array> {
  const index = keysTaken.get(bits) ?? 0;
  keysTaken.set(bits, index + 1);
  const file = join(KEY_CACHE, `rsa-${bits}-${index}.p8`);
  try {
    const pkcs8 = new Uint8Array(await readFile(file));
    const key = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
    if (key.asymmetricKeyType === "rsa" && key.asymmetricKeyDetails?.modulusLength === bits) return pkcs8;
  } catch {
    // Not made yet (or unreadable): make it below.
  }
  const pkcs8 = await generatedPkcs8(bits);
  await mkdir(KEY_CACHE, { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a test file running beside this one never reads half a key.
  const partial = `${file}.${randomUUID()}`;
  await writeFile(partial, pkcs8, { mode: 0o600 });
  await rename(partial, file);
  return pkcs8;
}

export async function newRsaKey(bits = 2048): Promise<TestKey> {
  const pkcs8 = await cachedPkcs8(bits);
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
  const spki = new Uint8Array(createPublicKey(privateKey).export({ type: "spki", format: "der" }));
  const pair = {
    privateKey: await webcrypto.subtle.importKey("pkcs8", pkcs8, RSA, true, ["sign"]),
    publicKey: await webcrypto.subtle.importKey("spki", spki, RSA, true, ["verify"]),
  };
  return { pair, privateKey, pkcs8, spki };
}

/** A PKCS#10 request signed by `key`, with `subject` as an RFC 4514 string (may be empty). */
export async function csrFor(key: TestKey, subject: string): Promise<Uint8Array> {
  const csr = await Pkcs10CertificateRequestGenerator.create(
    {
      name: subject === "" ? undefined : subject,
      keys: key.pair,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    },
    webcrypto,
  );
  return new Uint8Array(csr.rawData);
}

export interface TestCa {
  readonly key: TestKey;
  readonly signer: Signer;
  readonly rootDer: Uint8Array;
}

export async function newTestCa(subject = "CN=Contoso P2S Root, O=Contoso", now = new Date()): Promise<TestCa> {
  const key = await newRsaKey();
  const signer = createKeyObjectSigner(key.privateKey);
  const rootDer = await buildRootCertificate({
    subject,
    publicKey: key.spki,
    validity: rootValidity(now, 2),
    serial: generateSerialNumber(),
    signer,
  });
  return { key, signer, rootDer };
}

export interface OpensslResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function openssl(args: readonly string[]): Promise<OpensslResult> {
  return new Promise((resolve) => {
    execFile("openssl", [...args], { encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A temporary directory for one test file; call `remove()` in afterAll. */
export class TempDir {
  private constructor(readonly path: string) {}

  static async create(): Promise<TempDir> {
    return new TempDir(await mkdtemp(join(tmpdir(), "p2s-ca-test-")));
  }

  async write(name: string, content: Uint8Array | string): Promise<string> {
    const file = join(this.path, name);
    await writeFile(file, content);
    return file;
  }

  writePem(name: string, der: Uint8Array, label = "CERTIFICATE"): Promise<string> {
    return this.write(name, derToPem(der, label));
  }

  remove(): Promise<void> {
    return rm(this.path, { recursive: true, force: true });
  }
}
