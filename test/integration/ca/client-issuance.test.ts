// Acceptance: client certificates issued through the real Key Vault SDK clients against the emulator are what the
// gateway accepts (openssl verify -purpose sslclient against the root, Client Authentication first, CN = UPN,
// CA:FALSE), carry the profile of issue 4, and are made once per request even when a step fails half-way.
import { X509Certificate } from "node:crypto";
import {
  beginClientCertificate,
  completeClientCertificate,
  signClientCertificate,
} from "../../../src/clients/key-vault-ca";
import type { RootCa } from "../../../src/clients/key-vault-ca";
import { readCertificateSecret } from "../../../src/domain/certificate-secret";
import { derToPem } from "../../../src/domain/pem";
import { assertUpn, keyVaultCertificateName, upnKey } from "../../../src/domain/upn";
import { TempDir, extensionText, issueForTest, rootOf, startCaFixture } from "./ca-support";
import type { CaFixture, IssuedForTest } from "./ca-support";

const UPN = "Ada.Lovelace@contoso.com";

let fixture: CaFixture;
let dir: TempDir;
let root: RootCa;
let rootFile: string;

beforeAll(async () => {
  [fixture, dir] = await Promise.all([startCaFixture(), TempDir.create()]);
  root = await rootOf(fixture);
  rootFile = await dir.write("root.pem", derToPem(Buffer.from(root.publicCertData, "base64")));
});

afterAll(async () => {
  await Promise.all([fixture.stop(), dir.remove()]);
});

afterEach(() => {
  fixture.stack.keyVault.faults.clear();
});

function createCounts(): { made: number; resumed: number } {
  const { byStatus } = fixture.stack.keyVault.stats.operation("certificates.create");
  return { made: byStatus["202"] ?? 0, resumed: byStatus["409"] ?? 0 };
}

async function issuedVersions(name: string): Promise<number> {
  let count = 0;
  for await (const properties of fixture.kv.certificates.listPropertiesOfCertificateVersions(name)) {
    const cert = await fixture.kv.certificates.getCertificateVersion(name, properties.version ?? "");
    if (cert.cer !== undefined && cert.cer.length > 0) count += 1;
  }
  return count;
}

describe("an issued client certificate", () => {
  let issued: IssuedForTest;
  let leafFile: string;
  let text: string;

  beforeAll(async () => {
    issued = await issueForTest(fixture, root, UPN, "INC0001");
    leafFile = await dir.write("leaf.pem", issued.view.certificatePem);
    const result = await dir.openssl(["x509", "-in", leafFile, "-noout", "-text", "-nameopt", "RFC2253"]);
    expect(result.code).toBe(0);
    text = result.stdout;
  });

  it("passes openssl verify -purpose sslclient against the root", async () => {
    const verify = await dir.openssl(["verify", "-purpose", "sslclient", "-CAfile", rootFile, leafFile]);
    expect(verify.stdout.trim()).toBe(`${leafFile}: OK`);
    expect(verify.code).toBe(0);
  });

  it("fails openssl verify against another CA", async () => {
    const other = await dir.openssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "other.key",
      "-out",
      "other.pem",
      "-days",
      "1",
      "-subj",
      "/CN=Impostor CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
    ]);
    expect(other.code).toBe(0);
    const verify = await dir.openssl(["verify", "-purpose", "sslclient", "-CAfile", "other.pem", leafFile]);
    expect(verify.code).not.toBe(0);
  });

  it("has TLS Web Client Authentication as its first (and only) extended key usage", () => {
    expect(extensionText(text, "X509v3 Extended Key Usage:")).toBe(
      "X509v3 Extended Key Usage:\nTLS Web Client Authentication",
    );
  });

  it("has CN = the UPN, exactly as given, as its whole subject", () => {
    expect(text).toContain(`Subject: CN=${UPN}\n`);
  });

  it("is not a CA (CA:FALSE, critical), while its root is CA:TRUE", async () => {
    expect(extensionText(text, "X509v3 Basic Constraints:")).toBe("X509v3 Basic Constraints: critical\nCA:FALSE");
    const rootText = await dir.openssl(["x509", "-in", rootFile, "-noout", "-text"]);
    expect(extensionText(rootText.stdout, "X509v3 Basic Constraints:")).toBe(
      "X509v3 Basic Constraints: critical\nCA:TRUE, pathlen:0",
    );
  });

  it("carries the rest of the profile: key usage, UPN SAN, root's key id, serial, validity", async () => {
    expect(extensionText(text, "X509v3 Key Usage:")).toBe(
      "X509v3 Key Usage: critical\nDigital Signature, Key Encipherment",
    );
    expect(extensionText(text, "X509v3 Subject Alternative Name:")).toBe(
      `X509v3 Subject Alternative Name:\nothername: UPN::${UPN}, email:${UPN}`,
    );
    const leaf = new X509Certificate(issued.view.certificatePem);
    const rootCert = new X509Certificate(Buffer.from(root.publicCertData, "base64"));
    expect(leaf.checkIssued(rootCert)).toBe(true);
    expect(leaf.verify(rootCert.publicKey)).toBe(true);
    const rootText = await dir.openssl(["x509", "-in", rootFile, "-noout", "-text"]);
    const rootSki = extensionText(rootText.stdout, "X509v3 Subject Key Identifier:").split("\n")[1] ?? "";
    const aki = extensionText(text, "X509v3 Authority Key Identifier:").split("\n")[1] ?? "";
    expect(rootSki).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(aki.replace(/^keyid:/, "")).toBe(rootSki);
    // At least 64 random bits, positive (no leading 1 bit in its DER).
    expect(leaf.serialNumber.length).toBeGreaterThanOrEqual(16);
    expect(parseInt(leaf.serialNumber.slice(0, 1), 16)).toBeLessThan(8);
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBeGreaterThanOrEqual(180);
    expect(Math.round(days)).toBeLessThanOrEqual(181);
    expect(Date.parse(leaf.validFrom)).toBeLessThan(Date.now());
  });

  it("is held by Key Vault with an exportable key, tagged, and its secret holds key, leaf and root", async () => {
    const description = fixture.stack.keyVault.vault.describe(issued.certificateName);
    expect(description.exportable).toBe(true);
    expect(description.enabled).toBe(true);
    expect(description.tags).toEqual({
      managedBy: "p2s-lifecycle",
      role: "client",
      upn: upnKey(assertUpn(UPN)),
      requestId: "INC0001",
      rootThumbprint: root.thumbprint,
    });
    const secret = await fixture.kv.secrets.getSecret(issued.certificateName);
    const parts = await readCertificateSecret(secret.value ?? "", secret.properties.contentType);
    try {
      expect(derToPem(parts.certificate)).toBe(issued.view.certificatePem);
      expect(parts.chain.map((der) => Buffer.from(der).toString("base64"))).toEqual([root.publicCertData]);
    } finally {
      parts.privateKey.fill(0);
    }
  });

  it("is made once per request: issuing the same request again returns it without a new key", async () => {
    const before = createCounts();
    const again = await issueForTest(fixture, root, UPN, "INC0001");
    expect(again.view).toEqual(issued.view);
    expect(createCounts().made).toBe(before.made);
    expect(await issuedVersions(issued.certificateName)).toBe(1);
    // The UPN's case does not make it another request.
    const otherCase = await issueForTest(fixture, root, UPN.toLowerCase(), "INC0001");
    expect(otherCase.view.thumbprint).toBe(issued.view.thumbprint);
  });

  it("a new request for the same user gives a new certificate with a new key", async () => {
    const second = await issueForTest(fixture, root, UPN, "INC0002");
    expect(second.certificateName).not.toBe(issued.certificateName);
    expect(second.view.thumbprint).not.toBe(issued.view.thumbprint);
    expect(fixture.stack.keyVault.vault.describe(second.certificateName).publicKeyPem).not.toBe(
      fixture.stack.keyVault.vault.describe(issued.certificateName).publicKeyPem,
    );
  });
});

describe("a failure between create and merge", () => {
  it("then a retry from the first step gives exactly one certificate, on the key first made", async () => {
    const upn = assertUpn("grace.hopper@contoso.com");
    const requestId = "INC0100";
    const name = keyVaultCertificateName(upn, requestId);
    const tags = { upn: upnKey(upn), requestId, rootThumbprint: root.thumbprint };
    const begun = await beginClientCertificate(fixture.kv, fixture.config, name, upn, tags);
    expect(begun.state).toBe("pending");
    if (begun.state !== "pending") return;
    const signed = await signClientCertificate(fixture.kv, fixture.config, root, begun.csrBase64, upn, new Date());
    // 503 with Retry-After: 0 outlasts the SDK's own retries, as a longer outage would.
    fixture.stack.keyVault.faults.add({ operation: "certificates.merge", status: 503, retryAfterSeconds: 0 });
    await expect(completeClientCertificate(fixture.kv, name, signed, root)).rejects.toMatchObject({ statusCode: 503 });
    fixture.stack.keyVault.faults.clear();
    const keyBefore = fixture.stack.keyVault.vault.describe(name).publicKeyPem;
    const before = createCounts();

    // The retry runs the activities again from the start, as a rerun orchestration would.
    // It finds the operation pending and resumes it without sending a create at all.
    const retried = await issueForTest(fixture, root, upn, requestId);
    expect(createCounts()).toEqual(before);
    expect(retried.certificateName).toBe(name);
    expect(await issuedVersions(name)).toBe(1);
    const description = fixture.stack.keyVault.vault.describe(name);
    expect(description.pending).toBe(false);
    expect(description.publicKeyPem).toBe(keyBefore);
    expect(fixture.stack.keyVault.vault.certificateNames().filter((n) => n === name)).toHaveLength(1);
  });

  it("a retry of the merge alone after a merge that did happen returns the merged certificate", async () => {
    const upn = assertUpn("katherine.johnson@contoso.com");
    const name = keyVaultCertificateName(upn, "INC0101");
    const begun = await beginClientCertificate(fixture.kv, fixture.config, name, upn, {
      upn: upnKey(upn),
      requestId: "INC0101",
      rootThumbprint: root.thumbprint,
    });
    if (begun.state !== "pending") throw new Error("expected a pending certificate");
    const signed = await signClientCertificate(fixture.kv, fixture.config, root, begun.csrBase64, upn, new Date());
    const first = await completeClientCertificate(fixture.kv, name, signed, root);
    const merges = fixture.stack.keyVault.stats.operation("certificates.merge").count;
    const second = await completeClientCertificate(fixture.kv, name, signed, root);
    expect(second).toEqual(first);
    expect(fixture.stack.keyVault.stats.operation("certificates.merge").count).toBe(merges);
    expect(await issuedVersions(name)).toBe(1);
  });
});

describe("tags through the merge", () => {
  afterEach(() => {
    fixture.stack.keyVault.vault.resetBehaviour();
  });

  const wantedTags = (upn: string, requestId: string): Record<string, string> => ({
    managedBy: "p2s-lifecycle",
    role: "client",
    upn: upnKey(assertUpn(upn)),
    requestId,
    rootThumbprint: root.thumbprint,
  });

  it("are sent in the merge body: they hold where a merge without tags would drop the create-time ones", async () => {
    fixture.stack.keyVault.vault.configure({ mergeKeepsCreateTags: false });
    const updates = fixture.stack.keyVault.stats.operation("certificates.update").count;
    const issued = await issueForTest(fixture, root, "mary.jackson@contoso.com", "INC0300");
    expect(fixture.stack.keyVault.vault.describe(issued.certificateName).tags).toEqual(
      wantedTags("mary.jackson@contoso.com", "INC0300"),
    );
    // They came with the merge, not from a repair afterwards.
    expect(fixture.stack.keyVault.stats.operation("certificates.update").count).toBe(updates);
  });

  it("are checked after the merge and put back when missing", async () => {
    const issued = await issueForTest(fixture, root, "dorothy.vaughan@contoso.com", "INC0301");
    const { version } = fixture.stack.keyVault.vault.describe(issued.certificateName);
    await fixture.kv.certificates.updateCertificateProperties(issued.certificateName, version, {
      tags: { managedBy: "p2s-lifecycle", upn: "dorothy.vaughan@contoso.com", requestId: "INC0301", extra: "kept" },
    });
    const der = Buffer.from(issued.view.certificatePem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    await completeClientCertificate(fixture.kv, issued.certificateName, der, root);
    expect(fixture.stack.keyVault.vault.describe(issued.certificateName).tags).toEqual({
      ...wantedTags("dorothy.vaughan@contoso.com", "INC0301"),
      extra: "kept",
    });
  });
});
