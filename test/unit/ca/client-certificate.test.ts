import "reflect-metadata";
import { readFile } from "node:fs/promises";
import { createHash, webcrypto } from "node:crypto";
import {
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Pkcs10CertificateRequestGenerator,
  X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
import { describeCertificate } from "../../../src/domain/certificate-info";
import { CertificateRequestRejectedError, buildClientCertificate } from "../../../src/domain/client-certificate";
import type { ClientCertificateRequest } from "../../../src/domain/client-certificate";
import { createKeyObjectSigner } from "../../../src/domain/key-object-signer";
import { derToPem } from "../../../src/domain/pem";
import { generateSerialNumber } from "../../../src/domain/serial-number";
import { clientValidity } from "../../../src/domain/validity";
import { TempDir, csrFor, newRsaKey, newTestCa, openssl } from "./ca-test-support";
import type { TestCa, TestKey } from "./ca-test-support";

const UPN = "Alice.Smith@Contoso.com";

const DAY = 86_400_000;

describe("buildClientCertificate", () => {
  let dir: TempDir;
  let ca: TestCa;
  let userKey: TestKey;
  let rootPem: string;

  beforeAll(async () => {
    dir = await TempDir.create();
    [ca, userKey] = await Promise.all([newTestCa(), newRsaKey()]);
    rootPem = await dir.writePem("root.pem", ca.rootDer);
  });
  afterAll(() => dir.remove());

  /** A CA certificate over the test CA's key, with exactly the extensions given. */
  async function bareCa(extensions: Extension[]): Promise<Uint8Array> {
    const cert = await X509CertificateGenerator.create(
      {
        serialNumber: "01",
        subject: "CN=Bare Root",
        issuer: "CN=Bare Root",
        notBefore: new Date(Date.now() - DAY),
        notAfter: new Date(Date.now() + 400 * DAY),
        publicKey: ca.key.pair.publicKey,
        signingKey: ca.key.pair.privateKey,
        signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
        extensions,
      },
      webcrypto,
    );
    return new Uint8Array(cert.rawData);
  }

  async function request(overrides: Partial<ClientCertificateRequest> = {}): Promise<ClientCertificateRequest> {
    return {
      csrDer: await csrFor(userKey, `CN=${UPN}`),
      upn: UPN,
      issuer: ca.rootDer,
      validity: clientValidity(new Date(), 30),
      serial: generateSerialNumber(),
      signer: ca.signer,
      ...overrides,
    };
  }

  it("issues from an openssl-made CSR a certificate that openssl verifies for TLS client use", async () => {
    const keyFile = await dir.write("user.key", derToPem(userKey.pkcs8, "PRIVATE KEY"));
    const csrFile = `${dir.path}/user.csr`;
    // Key Vault puts its policy subject in the CSR; openssl stands in for it here.
    const made = await openssl([
      "req",
      "-new",
      "-key",
      keyFile,
      "-subj",
      `/CN=${UPN}`,
      "-outform",
      "DER",
      "-out",
      csrFile,
    ]);
    expect(made.code).toBe(0);
    const der = await buildClientCertificate(await request({ csrDer: new Uint8Array(await readFile(csrFile)) }));
    const leaf = await dir.writePem("leaf.pem", der);

    const verified = await openssl(["verify", "-purpose", "sslclient", "-x509_strict", "-CAfile", rootPem, leaf]);
    expect(verified.stdout.trim()).toBe(`${leaf}: OK`);

    const text = (await openssl(["x509", "-in", leaf, "-noout", "-text"])).stdout;
    expect(text).toContain(`Subject: CN = ${UPN}`);
    expect(text).toContain("Issuer: CN = Contoso P2S Root, O = Contoso");
    // The only, hence first, EKU is Client Authentication.
    expect(text).toMatch(/X509v3 Extended Key Usage:\s*\n\s*TLS Web Client Authentication\s*\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    // OpenSSL 3.0 prints the UPN otherName as "UPN::value"; other versions use one colon.
    const upn = UPN.replace(/\./g, "\\.");
    expect(text).toMatch(new RegExp(`X509v3 Subject Alternative Name:\\s+othername: UPN:{1,2}${upn}, email:${upn}\\n`));
    expect(text).toContain("Signature Algorithm: sha256WithRSAEncryption");

    const rootSki = /X509v3 Subject Key Identifier:\s+([0-9A-F:]+)/.exec(
      (await openssl(["x509", "-in", rootPem, "-noout", "-text"])).stdout,
    )?.[1];
    expect(rootSki).toBeDefined();
    expect(/X509v3 Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1]).toBe(rootSki);
    // The SKI is the CSR key's, not the root's.
    expect(/X509v3 Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text)?.[1]).not.toBe(rootSki);
  });

  it("keeps the serial, validity and the UPN's case, and has an SKI from the CSR key", async () => {
    const serial = generateSerialNumber();
    const validity = clientValidity(new Date("2025-06-01T08:00:00Z"), 90);
    const der = await buildClientCertificate(await request({ serial, validity }));
    const info = describeCertificate(der);
    expect(info).toMatchObject({ serialNumber: serial, commonName: UPN, isCa: false });
    expect(info.notBefore.toISOString()).toBe("2025-06-01T07:55:00.000Z");
    expect(info.notAfter.toISOString()).toBe("2025-08-30T07:55:00.000Z");
    expect(info.authorityKeyIdentifier).toBe(describeCertificate(ca.rootDer).subjectKeyIdentifier);
    const eku = new X509Certificate(der).extensions.find((e) => e.type === "2.5.29.37");
    expect(eku).toBeInstanceOf(ExtendedKeyUsageExtension);
    expect((eku as ExtendedKeyUsageExtension).usages).toEqual(["1.3.6.1.5.5.7.3.2"]);
  });

  it("takes the subject from the UPN, not from the CSR, and accepts a CSR with an empty subject", async () => {
    const lower = describeCertificate(
      await buildClientCertificate(await request({ csrDer: await csrFor(userKey, "CN=alice.smith@contoso.com") })),
    );
    expect(lower.subject).toBe(`CN=${UPN}`);
    const empty = describeCertificate(
      await buildClientCertificate(await request({ csrDer: await csrFor(userKey, "") })),
    );
    expect(empty.subject).toBe(`CN=${UPN}`);
  });

  it("refuses a CSR for someone else, a forged CSR, small and non-RSA keys", async () => {
    await expect(
      buildClientCertificate(await request({ csrDer: await csrFor(userKey, "CN=bob@contoso.com") })),
    ).rejects.toThrow(`CSR subject CN 'bob@contoso.com' does not match the expected '${UPN}'`);
    // A Key Vault policy subject other than the UPN is accepted when the caller names it.
    const named = await buildClientCertificate(
      await request({ csrDer: await csrFor(userKey, "CN=p2s-user-0123"), expectedCsrCommonName: "p2s-user-0123" }),
    );
    expect(describeCertificate(named).commonName).toBe(UPN);

    const forged = await csrFor(userKey, `CN=${UPN}`);
    forged[forged.length - 10] = (forged[forged.length - 10] ?? 0) ^ 0xff; // inside the signature
    await expect(buildClientCertificate(await request({ csrDer: forged }))).rejects.toThrow(
      "CSR signature does not verify",
    );

    const small = await newRsaKey(1024);
    await expect(buildClientCertificate(await request({ csrDer: await csrFor(small, `CN=${UPN}`) }))).rejects.toThrow(
      "CSR public key is RSA-1024; at least RSA-2048 is required",
    );

    const ec = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    const ecCsr = await Pkcs10CertificateRequestGenerator.create(
      { name: `CN=${UPN}`, keys: ec, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } },
      webcrypto,
    );
    await expect(buildClientCertificate(await request({ csrDer: new Uint8Array(ecCsr.rawData) }))).rejects.toThrow(
      CertificateRequestRejectedError,
    );

    await expect(
      buildClientCertificate(await request({ csrDer: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]) })),
    ).rejects.toThrow("CSR is not a readable PKCS#10 request");
  });

  it("refuses a bad UPN before looking at anything else", async () => {
    await expect(buildClientCertificate(await request({ upn: "a,O=x@contoso.com" }))).rejects.toThrow(
      "UPN 'a,O=x@contoso.com' contains ',' which is not allowed",
    );
  });

  it("refuses an issuer that is not a CA, a signer with another key, and a validity past the root's", async () => {
    const leaf = await buildClientCertificate(await request());
    await expect(buildClientCertificate(await request({ issuer: leaf }))).rejects.toThrow(
      "issuer certificate is not a CA",
    );

    const other = await newRsaKey();
    await expect(
      buildClientCertificate(await request({ signer: createKeyObjectSigner(other.privateKey) })),
    ).rejects.toThrow("signature does not verify with the issuer's key");

    await expect(buildClientCertificate(await request({ validity: clientValidity(new Date(), 3000) }))).rejects.toThrow(
      "would outlive its root",
    );
  });

  it("issues a leaf ending exactly when the root ends, and refuses one a second longer", async () => {
    const rootEnds = describeCertificate(ca.rootDer).notAfter;
    const notBefore = new Date(rootEnds.getTime() - 30 * DAY);
    const der = await buildClientCertificate(await request({ validity: { notBefore, notAfter: rootEnds } }));
    expect(describeCertificate(der).notAfter).toEqual(rootEnds);
    await expect(
      buildClientCertificate(await request({ validity: { notBefore, notAfter: new Date(rootEnds.getTime() + 1000) } })),
    ).rejects.toThrow(`client certificate would outlive its root (root ends ${rootEnds.toISOString()})`);
  });

  it("names the issuer or the client certificate in what it refuses", async () => {
    await expect(buildClientCertificate(await request({ issuer: new Uint8Array([0x30, 0x00]) }))).rejects.toThrow(
      "issuer certificate is not a readable DER X.509 certificate",
    );
    const other = await newRsaKey();
    await expect(
      buildClientCertificate(await request({ signer: createKeyObjectSigner(other.privateKey) })),
    ).rejects.toThrow(
      "client certificate: signature does not verify with the issuer's key (is the signer bound to that key?)",
    );
  });

  it("refuses a CSR whose subject has two CNs, even when both are the UPN", async () => {
    await expect(
      buildClientCertificate(await request({ csrDer: await csrFor(userKey, `CN=${UPN}, CN=${UPN}`) })),
    ).rejects.toThrow(new CertificateRequestRejectedError("CSR subject has more than one CN"));
  });

  it("refuses an issuer whose keyUsage lacks keyCertSign", async () => {
    const issuer = await bareCa([
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.cRLSign, true),
    ]);
    await expect(buildClientCertificate(await request({ issuer }))).rejects.toThrow(
      "issuer certificate's keyUsage does not allow keyCertSign",
    );
  });

  it("under a CA with neither keyUsage nor SKI, uses the RFC 5280 key hash openssl computes as the AKI", async () => {
    const issuer = await bareCa([new BasicConstraintsExtension(true, 0, true)]);
    const issuerPem = await dir.writePem("bare-root.pem", issuer);
    const der = await buildClientCertificate(await request({ issuer }));
    const leaf = await dir.writePem("bare-leaf.pem", der);
    const verified = await openssl(["verify", "-purpose", "sslclient", "-CAfile", issuerPem, leaf]);
    expect(verified.stdout.trim()).toBe(`${leaf}: OK`);
    // Method 1: SHA-1 of the subjectPublicKey BIT STRING's contents, i.e. the PKCS#1 RSAPublicKey.
    const publicKeyPem = await dir.write(
      "bare-root.pub",
      (await openssl(["x509", "-in", issuerPem, "-noout", "-pubkey"])).stdout,
    );
    const rsaPublicKey = `${dir.path}/bare-root.rsapub`;
    const converted = await openssl([
      "rsa",
      "-pubin",
      "-in",
      publicKeyPem,
      "-RSAPublicKey_out",
      "-outform",
      "DER",
      "-out",
      rsaPublicKey,
    ]);
    expect(converted.code).toBe(0);
    const expected = createHash("sha1")
      .update(await readFile(rsaPublicKey))
      .digest("hex")
      .toUpperCase();
    expect(describeCertificate(der).authorityKeyIdentifier).toBe(expected);
  });

  it("issues for a long UPN (CN over RFC 5280's 64) that openssl still verifies", async () => {
    const upn = `${"a".repeat(64)}@${"b".repeat(40)}.example`;
    const der = await buildClientCertificate(await request({ upn, csrDer: await csrFor(userKey, "") }));
    const leaf = await dir.writePem("long.pem", der);
    const verified = await openssl(["verify", "-purpose", "sslclient", "-CAfile", rootPem, leaf]);
    expect(verified.stdout.trim()).toBe(`${leaf}: OK`);
  });
});
