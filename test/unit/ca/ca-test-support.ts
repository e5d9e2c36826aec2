// Shared fixtures for the CA tests: throwaway RSA keys, CSRs, a root CA with a local signer, and an `openssl` runner
// over files in a temporary directory that each test file removes when it ends.
import "reflect-metadata";
import { execFile } from "node:child_process";
import { KeyObject, webcrypto } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
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

export async function newRsaKey(bits = 2048): Promise<TestKey> {
  const pair = await webcrypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
  return {
    pair,
    privateKey: KeyObject.from(pair.privateKey),
    pkcs8: new Uint8Array(await webcrypto.subtle.exportKey("pkcs8", pair.privateKey)),
    spki: new Uint8Array(await webcrypto.subtle.exportKey("spki", pair.publicKey)),
  };
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
