// Acceptance: the root CA bootstrap through the real Key Vault SDK clients against the emulator. Bootstrapping twice
// (in sequence, at once, or after a failure half-way) leaves exactly one CA certificate, whose key is non-exportable,
// and whose extensions openssl reads as CA:TRUE, pathlen 0, critical.
import { ensureRootCa, getRootCa } from "../../../src/clients/key-vault-ca";
import type { RootCa } from "../../../src/clients/key-vault-ca";
import { readCertificateSecret } from "../../../src/domain/certificate-secret";
import { describeCertificate } from "../../../src/domain/certificate-info";
import { derToPem } from "../../../src/domain/pem";
import { TempDir, extensionText, startCaFixture } from "./ca-support";
import type { CaFixture } from "./ca-support";

let fixture: CaFixture;
let dir: TempDir;

beforeAll(async () => {
  [fixture, dir] = await Promise.all([startCaFixture(), TempDir.create()]);
});

afterAll(async () => {
  await Promise.all([fixture.stop(), dir.remove()]);
});

afterEach(() => {
  fixture.stack.keyVault.faults.clear();
});

interface VersionFacts {
  readonly version: string;
  readonly enabled: boolean;
  readonly isCa: boolean;
}

/** Every issued version of a certificate, as the SDK lists them. */
async function versionsOf(name: string): Promise<VersionFacts[]> {
  const facts: VersionFacts[] = [];
  for await (const properties of fixture.kv.certificates.listPropertiesOfCertificateVersions(name)) {
    const version = properties.version ?? "";
    const cert = await fixture.kv.certificates.getCertificateVersion(name, version);
    if (cert.cer === undefined || cert.cer.length === 0) continue;
    facts.push({ version, enabled: properties.enabled === true, isCa: describeCertificate(cert.cer).isCa });
  }
  return facts;
}

function expectOneRoot(versions: readonly VersionFacts[]): void {
  const roots = versions.filter((v) => v.isCa);
  expect(roots).toHaveLength(1);
  expect(roots[0]?.enabled).toBe(true);
  // The temporary self-signed versions that made the key usable are all retired.
  for (const other of versions.filter((v) => !v.isCa)) expect(other.enabled).toBe(false);
}

describe("root CA bootstrap", () => {
  let root: RootCa;

  beforeAll(async () => {
    root = await ensureRootCa(fixture.kv, fixture.config, new Date());
  });

  it("bootstrapped twice gives one root: the same certificate, one CA version, the temporary version disabled", async () => {
    const creates = fixture.stack.keyVault.stats.operation("certificates.create").handled;
    const again = await ensureRootCa(fixture.kv, fixture.config, new Date());
    expect(again).toEqual(root);
    expect(fixture.stack.keyVault.stats.operation("certificates.create").handled).toBe(creates);
    const versions = await versionsOf(fixture.config.CA_ROOT_NAME);
    expect(versions).toHaveLength(2);
    expectOneRoot(versions);
    expect(await getRootCa(fixture.kv, fixture.config)).toEqual(root);
  });

  it("keeps the key non-exportable: the secret holds the certificate but no private key", async () => {
    expect(fixture.stack.keyVault.vault.describe(fixture.config.CA_ROOT_NAME).exportable).toBe(false);
    const secret = await fixture.kv.secrets.getSecret(fixture.config.CA_ROOT_NAME);
    const value = secret.value ?? "";
    expect(value).toContain("BEGIN CERTIFICATE");
    expect(value).not.toMatch(/PRIVATE KEY/);
    await expect(readCertificateSecret(value, secret.properties.contentType)).rejects.toThrow(/no private key/);
  });

  it("is a CA to openssl: CA:TRUE pathlen 0 critical, certificate and CRL signing, self-signed", async () => {
    const file = await dir.write("root.pem", derToPem(Buffer.from(root.publicCertData, "base64")));
    const text = await dir.openssl(["x509", "-in", file, "-noout", "-text"]);
    expect(text.code).toBe(0);
    expect(extensionText(text.stdout, "X509v3 Basic Constraints:")).toBe(
      "X509v3 Basic Constraints: critical\nCA:TRUE, pathlen:0",
    );
    expect(extensionText(text.stdout, "X509v3 Key Usage:")).toMatch(
      /^X509v3 Key Usage: critical\nDigital Signature, Certificate Sign, CRL Sign$/,
    );
    expect(text.stdout).toContain("X509v3 Subject Key Identifier");
    expect(text.stdout).toMatch(/Public-Key: \(2048 bit\)/);
    const verify = await dir.openssl(["verify", "-CAfile", file, file]);
    expect(verify.stdout.trim()).toBe(`${file}: OK`);
  });

  it("exports the root in the gateway's format: base64 DER on one line", () => {
    expect(root.publicCertData).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(root.subject).toBe("CN=P2S Root CA, O=p2s-lifecycle");
  });
});
