// One Key Vault emulator per test file, the real SDK clients pointed at it, and small X.509 helpers.
import "reflect-metadata";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { CertificateClient } from "@azure/keyvault-certificates";
import type { CertificateClientOptions, CertificatePolicy } from "@azure/keyvault-certificates";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { startKeyVaultEmulator } from "../../../dev/emulators/keyvault";
import type { KeyVaultEmulator, KeyVaultEmulatorOptions } from "../../../dev/emulators/keyvault";
import { RecordingCredential } from "../../support/emulator-clients";

const run = promisify(execFile);

export interface Harness {
  readonly ca: EmulatorCa;
  readonly vault: KeyVaultEmulator;
  readonly credential: RecordingCredential;
  readonly certificates: CertificateClient;
  readonly keys: KeyClient;
  readonly secrets: SecretClient;
  cryptography(keyId: string): CryptographyClient;
  /** A fresh client (its own challenge state) with its own credential, and options of its own if given. */
  newCertificateClient(credential: RecordingCredential, options?: CertificateClientOptions): CertificateClient;
  stop(): Promise<void>;
}

export async function startHarness(options: Omit<KeyVaultEmulatorOptions, "ca"> = {}): Promise<Harness> {
  const ca = await createEmulatorCa();
  const vault = await startKeyVaultEmulator({ ca, throttle: false, ...options });
  const credential = new RecordingCredential();
  const clientOptions = {
    disableChallengeResourceVerification: true,
    tlsOptions: { ca: ca.certPem },
    retryOptions: { maxRetries: 3 },
  };
  return {
    ca,
    vault,
    credential,
    certificates: new CertificateClient(vault.url, credential, clientOptions),
    keys: new KeyClient(vault.url, credential, clientOptions),
    secrets: new SecretClient(vault.url, credential, clientOptions),
    cryptography: (keyId) => new CryptographyClient(keyId, credential, clientOptions),
    newCertificateClient: (own, options = {}) =>
      new CertificateClient(vault.url, own, { ...clientOptions, ...options }),
    stop: () => vault.stop(),
  };
}

/** Fast pollers: the emulator completes at once, so the SDK's 2 s default interval would only slow tests. */
export const POLL = { intervalInMs: 10 } as const;

export function selfPolicy(overrides: Partial<CertificatePolicy> = {}): CertificatePolicy {
  return {
    issuerName: "Self",
    subject: "CN=test.contoso.com",
    keyType: "RSA",
    keySize: 2048,
    validityInMonths: 12,
    ...overrides,
  };
}

export function unknownPolicy(overrides: Partial<CertificatePolicy> = {}): CertificatePolicy {
  return selfPolicy({ issuerName: "Unknown", ...overrides });
}

let counter = 0;
/** A certificate name unique within the run. */
export function uniqueCertName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** Runs openssl with files made in a fresh temp dir; returns stdout and stderr together. */
export async function openssl(
  args: (dir: string) => string[],
  files: Record<string, string | Buffer>,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kv-emulator-"));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const { stdout, stderr } = await run("openssl", args(dir), { cwd: dir });
    return `${stdout}${stderr}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function toPem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

export interface TestCa {
  readonly certificate: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

/** An outside CA (2048-bit) whose key never touches the emulator: signs CSRs taken from pending operations. */
export async function createTestCa(): Promise<TestCa> {
  const keys = await webcrypto.subtle.generateKey(
    { ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    false,
    ["sign", "verify"],
  );
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: "01",
      name: "CN=Test Outside CA",
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: RSA,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    },
    webcrypto,
  );
  return { certificate, keys };
}

/** Issues a client certificate for a CSR's subject and public key. */
export async function signCsr(ca: TestCa, csrDer: Uint8Array): Promise<x509.X509Certificate> {
  const csr = new x509.Pkcs10CertificateRequest(csrDer);
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: "0a1b2c",
      subject: csr.subjectName,
      issuer: ca.certificate.subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: csr.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: RSA,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ],
    },
    webcrypto,
  );
}
