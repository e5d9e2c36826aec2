// Reading a Key Vault certificate secret (src/domain/certificate-secret.ts): the content types taken, the key forms,
// and the chain ordered from the leaf whatever order Key Vault returns the certificates in.
import "reflect-metadata";
import { createPrivateKey, generateKeyPairSync, webcrypto } from "node:crypto";
import { X509CertificateGenerator } from "@peculiar/x509";
import { readCertificateSecret, readPemBundle, selectKeyAndChain } from "../../../src/domain/certificate-secret";
import { derToPem, toBase64 } from "../../../src/domain/pem";
import { thumbprintOf } from "../../../src/domain/thumbprint";
import { newRsaKey } from "./ca-test-support";
import type { TestKey } from "./ca-test-support";

const HOUR = 3_600_000;
const PEM = "application/x-pem-file";

async function certificate(subject: string, key: TestKey, issuer: string, issuerKey: TestKey): Promise<Uint8Array> {
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: "0a1b2c3d",
      issuer,
      subject,
      notBefore: new Date(Date.now() - HOUR),
      notAfter: new Date(Date.now() + HOUR),
      publicKey: key.pair.publicKey,
      signingKey: issuerKey.pair.privateKey,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    },
    webcrypto,
  );
  return new Uint8Array(cert.rawData);
}

describe("readCertificateSecret", () => {
  let rootKey: TestKey;
  let interKey: TestKey;
  let leafKey: TestKey;
  let root: Uint8Array;
  let inter: Uint8Array;
  let leaf: Uint8Array;
  let stranger: Uint8Array;

  beforeAll(async () => {
    [rootKey, interKey, leafKey] = await Promise.all([newRsaKey(), newRsaKey(), newRsaKey()]);
    [root, inter, leaf, stranger] = await Promise.all([
      certificate("CN=Root", rootKey, "CN=Root", rootKey),
      certificate("CN=Intermediate", interKey, "CN=Root", rootKey),
      certificate("CN=alice@contoso.com", leafKey, "CN=Intermediate", interKey),
      certificate("CN=Elsewhere", interKey, "CN=Other root", rootKey),
    ]);
  });

  const keyPem = (): string => derToPem(leafKey.pkcs8, "PRIVATE KEY");

  it("refuses a PKCS#12 secret (the app stores its certificates as PEM), naming the type", async () => {
    const pfxLike = toBase64(new Uint8Array([0x30, 0x82, 0x01, 0x00]));
    await expect(readCertificateSecret(pfxLike, "application/x-pkcs12")).rejects.toThrow(
      "unsupported certificate secret content type 'application/x-pkcs12' (expected application/x-pem-file)",
    );
    await expect(readCertificateSecret(pfxLike, undefined)).rejects.toThrow(
      "unsupported certificate secret content type '' (expected application/x-pem-file)",
    );
  });

  it("takes the PEM type with parameters or in another case, and sniffs PEM when the type is absent", async () => {
    const pem = keyPem() + derToPem(leaf);
    for (const type of [PEM, "Application/X-PEM-File; charset=utf-8", " application/x-pem-file "]) {
      expect(thumbprintOf((await readCertificateSecret(pem, type)).certificate)).toBe(thumbprintOf(leaf));
    }
    expect(thumbprintOf((await readCertificateSecret(`\n  ${pem}`, undefined)).certificate)).toBe(thumbprintOf(leaf));
    // A declared type is believed: PEM text declared as PKCS#12 is not read.
    await expect(readCertificateSecret(pem, "application/x-pkcs12")).rejects.toThrow("unsupported");
  });

  it("reads a PKCS#8 or PKCS#1 key and orders the chain from the leaf, the unrelated certificates last", async () => {
    const pkcs1 = createPrivateKey({ key: Buffer.from(leafKey.pkcs8), format: "der", type: "pkcs8" }).export({
      type: "pkcs1",
      format: "der",
    });
    for (const keyBlock of [keyPem(), derToPem(new Uint8Array(pkcs1), "RSA PRIVATE KEY")]) {
      const pem = derToPem(root) + derToPem(stranger) + keyBlock + derToPem(leaf) + derToPem(inter);
      const secret = await readCertificateSecret(pem, PEM);
      expect(Buffer.from(secret.privateKey)).toEqual(Buffer.from(leafKey.pkcs8));
      expect(thumbprintOf(secret.certificate)).toBe(thumbprintOf(leaf));
      expect(secret.chain.map(thumbprintOf)).toEqual([inter, root, stranger].map(thumbprintOf));
    }
  });

  it("skips blocks of other labels", () => {
    const bundle = readPemBundle(
      derToPem(leafKey.spki, "PUBLIC KEY") + keyPem() + derToPem(leaf) + derToPem(new Uint8Array([1]), "X509 CRL"),
    );
    expect(bundle.privateKeys).toHaveLength(1);
    expect(bundle.certificates.map((c) => thumbprintOf(c.der))).toEqual([thumbprintOf(leaf)]);
  });

  it("keeps a PKCS#8 block's bytes as they are, whatever the key's algorithm (the key match judges it later)", async () => {
    const ec = new Uint8Array(
      generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "der" }),
    );
    const bundle = readPemBundle(derToPem(ec, "PRIVATE KEY") + derToPem(leaf));
    expect(bundle.privateKeys.map((k) => Buffer.from(k.der))).toEqual([Buffer.from(ec)]);
    await expect(readCertificateSecret(derToPem(ec, "PRIVATE KEY") + derToPem(leaf), PEM)).rejects.toThrow(
      "no certificate in the secret matches its private key",
    );
  });

  it("refuses an encrypted key, no key, two keys, and a key no certificate matches", async () => {
    expect(() => readPemBundle(derToPem(new Uint8Array([0x30, 0x00]), "ENCRYPTED PRIVATE KEY"))).toThrow(
      "encrypted PEM private keys are not supported",
    );
    await expect(readCertificateSecret(derToPem(leaf), PEM)).rejects.toThrow(
      "the secret holds no private key (is the key exportable?)",
    );
    await expect(readCertificateSecret(keyPem() + keyPem() + derToPem(leaf), PEM)).rejects.toThrow(
      "the secret holds 2 private keys; expected one",
    );
    await expect(readCertificateSecret(keyPem() + derToPem(root) + derToPem(inter), PEM)).rejects.toThrow(
      "no certificate in the secret matches its private key",
    );
  });

  it("keeps a leaf with no issuer in the secret as a chain of the rest, in order", () => {
    const chosen = selectKeyAndChain({
      privateKeys: [{ der: leafKey.pkcs8 }],
      certificates: [{ der: stranger }, { der: leaf }, { der: root }],
    });
    expect(thumbprintOf(chosen.certificate)).toBe(thumbprintOf(leaf));
    expect(chosen.chain.map(thumbprintOf)).toEqual([stranger, root].map(thumbprintOf));
  });
});
