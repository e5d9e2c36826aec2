// A throwaway certificate authority made in memory at start, and one loopback server certificate signed by it.
// Clients trust the CA through client options (tlsOptions: { ca }); TLS verification is never turned off.
// One CA serves every emulator of a run: create it once and pass it to each startEmulator.
import "reflect-metadata";
import { randomBytes, webcrypto, KeyObject } from "node:crypto";
import { writeFile } from "node:fs/promises";
import * as x509 from "@peculiar/x509";

export interface EmulatorCaOptions {
  /** DNS names of the server certificate besides "localhost" (e.g. a vault host mapped to loopback). */
  readonly dnsNames?: readonly string[];
  /** Validity of both certificates in days; default 30. */
  readonly validityDays?: number;
  /** RSA modulus length; default 2048. */
  readonly keySize?: number;
}

const RSA_ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]) };
const LOOPBACK_IPS = ["127.0.0.1", "::1"] as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export class EmulatorCa {
  /** PEM of the CA certificate: what clients pass as tlsOptions.ca. */
  readonly certPem: string;
  /** PEM of the loopback server certificate (public). */
  readonly serverCertPem: string;
  // Private field: kept out of enumeration so logging the object never prints the key.
  readonly #serverKeyPem: string;

  constructor(certPem: string, serverCertPem: string, serverKeyPem: string) {
    this.certPem = certPem;
    this.serverCertPem = serverCertPem;
    this.#serverKeyPem = serverKeyPem;
  }

  /** Writes the CA certificate (public, no key) for clients that take a file path, e.g. P2S_TRUSTED_CA_FILE. */
  async writeCertPem(path: string): Promise<void> {
    await writeFile(path, this.certPem, { encoding: "utf8", mode: 0o644 });
  }

  /** Key and certificate for https.createServer. */
  serverTlsOptions(): { readonly cert: string; readonly key: string } {
    return { cert: this.serverCertPem, key: this.#serverKeyPem };
  }
}

export async function createEmulatorCa(options: EmulatorCaOptions = {}): Promise<EmulatorCa> {
  const crypto = webcrypto;
  const algorithm = { ...RSA_ALGORITHM, modulusLength: options.keySize ?? 2048 };
  const notBefore = new Date(Date.now() - 60 * 60 * 1000); // an hour back absorbs clock skew
  const notAfter = new Date(Date.now() + (options.validityDays ?? 30) * DAY_MS);

  // Both key pairs are generated on the thread pool at once: key generation is most of the CA's start-up time.
  const [caKeys, serverKeys] = await Promise.all([
    crypto.subtle.generateKey(algorithm, false, ["sign", "verify"]),
    crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]),
  ]);
  const caName = `CN=p2s-lifecycle local emulator CA ${randomBytes(4).toString("hex")}`;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: positiveSerial(),
      name: caName,
      notBefore,
      notAfter,
      keys: caKeys,
      signingAlgorithm: RSA_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const dnsNames = ["localhost", ...(options.dnsNames ?? [])];
  const serverCert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: positiveSerial(),
      subject: "CN=localhost",
      issuer: caCert.subjectName,
      notBefore,
      notAfter,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: RSA_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...LOOPBACK_IPS.map((value) => ({ type: "ip" as const, value })),
          ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        ]),
        await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const serverKeyPem = KeyObject.from(serverKeys.privateKey).export({ type: "pkcs8", format: "pem" }).toString();
  return new EmulatorCa(caCert.toString("pem"), serverCert.toString("pem"), serverKeyPem);
}

/** A 16-byte serial with the top bit clear, so the DER INTEGER stays positive. */
function positiveSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 1) & 0x7f) | 0x01;
  return bytes.toString("hex");
}
