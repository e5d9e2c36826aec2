// verifyIssuedBy on Node's X509Certificate (checkIssued, verify): besides the name and the signature, the issuer's
// key identifier and key usage must fit, as OpenSSL checks them when it builds a chain.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
import type { Extension } from "@peculiar/x509";
import { verifyIssuedBy } from "../../../src/domain/certificate-verify";
import { newRsaKey, newTestCa } from "./ca-test-support";
import type { TestKey } from "./ca-test-support";

const HOUR = 3_600_000;

async function issue(
  issuer: { readonly subject: string; readonly key: TestKey },
  subject: string,
  extensions: Extension[],
): Promise<Uint8Array> {
  const leafKey = await newRsaKey();
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: "0a1b2c3d",
      issuer: issuer.subject,
      subject,
      notBefore: new Date(Date.now() - HOUR),
      notAfter: new Date(Date.now() + HOUR),
      publicKey: leafKey.pair.publicKey,
      signingKey: issuer.key.pair.privateKey,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      extensions,
    },
    webcrypto,
  );
  return new Uint8Array(cert.rawData);
}

describe("verifyIssuedBy", () => {
  /** A leaf the test CA's own key signs under `algorithm`: its signature verifies, its algorithm is the point. */
  async function leafSignedWith(
    algorithm: { name: string; hash: string },
    signing: Record<string, unknown> = {},
  ): Promise<{ leaf: Uint8Array; rootDer: Uint8Array }> {
    const ca = await newTestCa();
    const root = new X509Certificate(ca.rootDer);
    const signingKey = await webcrypto.subtle.importKey("pkcs8", ca.key.pkcs8, algorithm, false, ["sign"]);
    const leaf = await X509CertificateGenerator.create(
      {
        serialNumber: "0a1b2c3d",
        issuer: root.subject,
        subject: "CN=ada@contoso.com",
        notBefore: new Date(Date.now() - HOUR),
        notAfter: new Date(Date.now() + HOUR),
        publicKey: (await newRsaKey()).pair.publicKey,
        signingKey,
        signingAlgorithm: { ...algorithm, ...signing },
      },
      webcrypto,
    );
    return { leaf: new Uint8Array(leaf.rawData), rootDer: ca.rootDer };
  }

  it("refuses a certificate signed with SHA-1, though the issuer's key verifies it", async () => {
    const { leaf, rootDer } = await leafSignedWith({ name: "RSASSA-PKCS1-v1_5", hash: "SHA-1" });
    await expect(verifyIssuedBy(leaf, rootDer, "leaf")).rejects.toThrow(
      "leaf: signature algorithm is not sha256/384/512 with RSA",
    );
  });

  it("refuses a certificate signed with RSA-PSS and SHA-256, though the issuer's key verifies it", async () => {
    const { leaf, rootDer } = await leafSignedWith({ name: "RSA-PSS", hash: "SHA-256" }, { saltLength: 32 });
    await expect(verifyIssuedBy(leaf, rootDer, "leaf")).rejects.toThrow(
      "leaf: signature algorithm is not sha256/384/512 with RSA",
    );
  });

  it("names which certificate it cannot read", async () => {
    const ca = await newTestCa();
    const junk = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
    await expect(verifyIssuedBy(junk, ca.rootDer, "leaf")).rejects.toThrow(
      "leaf is not a readable DER X.509 certificate",
    );
    await expect(verifyIssuedBy(ca.rootDer, junk, "leaf")).rejects.toThrow(
      "leaf's issuer is not a readable DER X.509 certificate",
    );
  });

  it("accepts a certificate issued by the root, with the root's key identifier", async () => {
    const ca = await newTestCa();
    const root = new X509Certificate(ca.rootDer);
    const aki = await AuthorityKeyIdentifierExtension.create(root, false, webcrypto);
    const leaf = await issue({ subject: root.subject, key: ca.key }, "CN=ada@contoso.com", [aki]);
    await expect(verifyIssuedBy(leaf, ca.rootDer, "leaf")).resolves.toBeUndefined();
  });

  it("refuses a certificate whose authority key identifier is not the issuer's, though name and key match", async () => {
    const ca = await newTestCa();
    const root = new X509Certificate(ca.rootDer);
    const wrongAki = new AuthorityKeyIdentifierExtension("00112233445566778899aabbccddeeff00112233");
    const leaf = await issue({ subject: root.subject, key: ca.key }, "CN=ada@contoso.com", [wrongAki]);
    await expect(verifyIssuedBy(leaf, ca.rootDer, "leaf")).rejects.toThrow(
      "leaf: its issuer is not the issuer certificate's subject",
    );
  });

  it("refuses an issuer whose key usage does not allow signing certificates", async () => {
    const key = await newRsaKey();
    const subject = "CN=Not A Signer";
    const issuerDer = await issueSelf(key, subject, [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
    ]);
    const leaf = await issue({ subject, key }, "CN=ada@contoso.com", []);
    await expect(verifyIssuedBy(leaf, issuerDer, "leaf")).rejects.toThrow(
      "leaf: its issuer is not the issuer certificate's subject",
    );
  });

  it("refuses a signature made by another key", async () => {
    const ca = await newTestCa();
    const root = new X509Certificate(ca.rootDer);
    const leaf = await issue({ subject: root.subject, key: await newRsaKey() }, "CN=ada@contoso.com", []);
    await expect(verifyIssuedBy(leaf, ca.rootDer, "leaf")).rejects.toThrow(
      "signature does not verify with the issuer's key",
    );
  });
});

async function issueSelf(key: TestKey, subject: string, extensions: Extension[]): Promise<Uint8Array> {
  const cert = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: "01",
      name: subject,
      notBefore: new Date(Date.now() - HOUR),
      notAfter: new Date(Date.now() + HOUR),
      keys: key.pair,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      extensions,
    },
    webcrypto,
  );
  return new Uint8Array(cert.rawData);
}
