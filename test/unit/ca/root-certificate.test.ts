import { createKeyObjectSigner } from "../../../src/domain/key-object-signer";
import { describeCertificate } from "../../../src/domain/certificate-info";
import { fromGatewayCertData, toGatewayCertData } from "../../../src/domain/pem";
import { buildRootCertificate } from "../../../src/domain/root-certificate";
import { generateSerialNumber } from "../../../src/domain/serial-number";
import type { Signer } from "../../../src/domain/signer";
import { rootValidity } from "../../../src/domain/validity";
import { TempDir, newRsaKey, newTestCa, openssl } from "./ca-test-support";
import type { TestCa, TestKey } from "./ca-test-support";

describe("buildRootCertificate", () => {
  let dir: TempDir;
  let ca: TestCa;
  let otherKey: TestKey;

  beforeAll(async () => {
    dir = await TempDir.create();
    [ca, otherKey] = await Promise.all([newTestCa("CN=Contoso P2S Root 2025, O=Contoso"), newRsaKey()]);
  });
  afterAll(() => dir.remove());

  it("is a self-signed CA that openssl reads with the required extensions", async () => {
    const pem = await dir.writePem("root.pem", ca.rootDer);
    const text = await openssl(["x509", "-in", pem, "-noout", "-text"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text.stdout).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    expect(text.stdout).toMatch(/X509v3 Subject Key Identifier:\s+([0-9A-F:]+)/);
    expect(text.stdout).toContain("Signature Algorithm: sha256WithRSAEncryption");
    expect(text.stdout).toContain("Subject: CN = Contoso P2S Root 2025, O = Contoso");
    expect(text.stdout).toContain("Issuer: CN = Contoso P2S Root 2025, O = Contoso");
    expect(text.stdout).toContain("Public-Key: (2048 bit)");

    const ski = /X509v3 Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text.stdout)?.[1];
    const aki = /X509v3 Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(text.stdout)?.[1];
    expect(ski).toBeDefined();
    expect(aki).toBe(ski);

    const verified = await openssl(["verify", "-CAfile", pem, "-x509_strict", pem]);
    expect(verified.stdout.trim()).toBe(`${pem}: OK`);
  });

  // Built inside the test rather than taken from beforeAll: `npm run mutate` runs for a mutant only the tests that
  // reached it, and what a beforeAll reaches is counted for none of them.
  it("marks basicConstraints and keyUsage critical, and the key identifiers not", async () => {
    const der = await buildRootCertificate({
      subject: "CN=Critical Root",
      publicKey: ca.key.spki,
      validity: rootValidity(new Date(), 1),
      serial: generateSerialNumber(),
      signer: ca.signer,
    });
    const text = (await openssl(["x509", "-in", await dir.writePem("critical.pem", der), "-noout", "-text"])).stdout;
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign\n/);
    expect(text).toMatch(/X509v3 Subject Key Identifier: \n\s+[0-9A-F:]+\n/);
    expect(text).toMatch(/X509v3 Authority Key Identifier: \n\s+(?:keyid:)?[0-9A-F:]+\n/);
  });

  it("names the root in the error when the signer holds another key", async () => {
    await expect(
      buildRootCertificate({
        subject: "CN=Mismatch named",
        publicKey: ca.key.spki,
        validity: rootValidity(new Date(), 1),
        serial: generateSerialNumber(),
        signer: createKeyObjectSigner(otherKey.privateKey),
      }),
    ).rejects.toThrow(
      "root certificate: signature does not verify with the issuer's key (is the signer bound to that key?)",
    );
  });

  it("refuses a private WebCrypto key given as the public key, and a subject that is not a DN", async () => {
    const base = { validity: rootValidity(new Date(), 1), serial: generateSerialNumber(), signer: ca.signer };
    await expect(
      buildRootCertificate({ ...base, subject: "CN=Private", publicKey: ca.key.pair.privateKey }),
    ).rejects.toThrow("root public key must be a public key");
    await expect(buildRootCertificate({ ...base, subject: "CN=#zz", publicKey: ca.key.spki })).rejects.toThrow(
      "root subject 'CN=#zz' is not a valid distinguished name",
    );
  });

  it("carries the serial and validity it was given", async () => {
    const serial = generateSerialNumber();
    const validity = rootValidity(new Date("2025-03-01T12:00:30.123Z"), 10);
    const der = await buildRootCertificate({
      subject: "CN=Serial Root",
      publicKey: ca.key.spki,
      validity,
      serial,
      signer: ca.signer,
    });
    const info = describeCertificate(der);
    expect(info.serialNumber).toBe(serial);
    expect(info.notBefore.toISOString()).toBe("2025-03-01T11:55:30.000Z");
    expect(info.notAfter.toISOString()).toBe("2035-03-01T11:55:30.000Z");
    expect(info.isCa).toBe(true);
    expect(info.subjectKeyIdentifier).toBe(info.authorityKeyIdentifier);
  });

  it("writes a 30-year root past 2049 (GeneralizedTime) that openssl reads", async () => {
    const der = await buildRootCertificate({
      subject: "CN=Long Root",
      publicKey: ca.key.spki,
      validity: rootValidity(new Date("2030-01-01T00:00:00Z"), 30),
      serial: generateSerialNumber(),
      signer: ca.signer,
    });
    const text = await openssl(["x509", "-in", await dir.writePem("long.pem", der), "-noout", "-enddate"]);
    expect(text.stdout.trim()).toBe("notAfter=Dec 31 23:55:00 2059 GMT");
  });

  it("accepts a WebCrypto public key and signs with RS384 when the signer says so", async () => {
    const signer = createKeyObjectSigner(ca.key.privateKey, "RS384");
    const der = await buildRootCertificate({
      subject: "CN=RS384 Root",
      publicKey: ca.key.pair.publicKey,
      validity: rootValidity(new Date(), 1),
      serial: generateSerialNumber(),
      signer,
    });
    const text = await openssl(["x509", "-in", await dir.writePem("rs384.pem", der), "-noout", "-text"]);
    expect(text.stdout).toContain("Signature Algorithm: sha384WithRSAEncryption");
  });

  it("refuses a signer holding a different key than the certificate's", async () => {
    await expect(
      buildRootCertificate({
        subject: "CN=Mismatch",
        publicKey: ca.key.spki,
        validity: rootValidity(new Date(), 1),
        serial: generateSerialNumber(),
        signer: createKeyObjectSigner(otherKey.privateKey),
      }),
    ).rejects.toThrow(/signature does not verify/);
  });

  it("copies what the signer returns, even a view of a shared buffer", async () => {
    const inner = createKeyObjectSigner(ca.key.privateKey);
    const pooled: Signer = {
      algorithm: "RS256",
      async sign(digest) {
        const signature = await inner.sign(digest);
        const pool = Buffer.alloc(signature.length + 64, 0xee);
        pool.set(signature, 32);
        return pool.subarray(32, 32 + signature.length);
      },
    };
    const der = await buildRootCertificate({
      subject: "CN=Pooled",
      publicKey: ca.key.spki,
      validity: rootValidity(new Date(), 1),
      serial: generateSerialNumber(),
      signer: pooled,
    });
    expect(describeCertificate(der).commonName).toBe("Pooled");
  });

  it("refuses small or non-RSA keys and bad subjects", async () => {
    const base = { validity: rootValidity(new Date(), 1), serial: generateSerialNumber(), signer: ca.signer };
    const small = await newRsaKey(1024);
    await expect(buildRootCertificate({ ...base, subject: "CN=Small", publicKey: small.spki })).rejects.toThrow(
      "root public key is RSA-1024; at least RSA-2048 is required",
    );
    const { webcrypto } = await import("node:crypto");
    const ec = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    await expect(buildRootCertificate({ ...base, subject: "CN=Ec", publicKey: ec.publicKey })).rejects.toThrow(
      "root public key is of key type ec; only RSA is accepted",
    );
    await expect(
      buildRootCertificate({ ...base, subject: "O=No Common Name", publicKey: ca.key.spki }),
    ).rejects.toThrow("has no CN");
    await expect(
      buildRootCertificate({ ...base, subject: "CN=Negative", publicKey: ca.key.spki, serial: "80".repeat(16) }),
    ).rejects.toThrow("positive");
  });

  it("exports the gateway's one-line base64 form and reads it back", () => {
    const data = toGatewayCertData(ca.rootDer);
    expect(data).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(data).not.toContain("\n");
    expect(data).not.toContain("BEGIN");
    expect(Buffer.from(fromGatewayCertData(data)).equals(Buffer.from(ca.rootDer))).toBe(true);
  });
});
