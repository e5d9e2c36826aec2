// The real CertificateClient against the Key Vault emulator: self-signed creation, reads, lists, properties,
// policy, and soft delete with recover and purge.
import "reflect-metadata";
import { X509Certificate, createHash } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { RestError } from "@azure/core-rest-pipeline";
import { POLL, openssl, selfPolicy, startHarness, toPem, uniqueCertName } from "./harness";
import type { Harness } from "./harness";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

async function createSelf(name: string, overrides = {}, tags?: Record<string, string>) {
  const poller = await h.certificates.beginCreateCertificate(name, selfPolicy(overrides), {
    ...POLL,
    ...(tags === undefined ? {} : { tags }),
  });
  return poller.pollUntilDone();
}

describe("self-signed certificates", () => {
  it("creates a certificate whose DER matches the policy's subject, SANs, key usage, EKUs and validity", async () => {
    const name = uniqueCertName("self");
    const created = await createSelf(name, {
      subject: "CN=vpn.contoso.com, O=Contoso",
      subjectAlternativeNames: { dnsNames: ["vpn.contoso.com"], emails: ["ops@contoso.com"] },
      keyUsage: ["digitalSignature", "keyEncipherment"],
      enhancedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
      validityInMonths: 3,
    });
    expect(created.cer).toBeDefined();
    const cert = new x509.X509Certificate(created.cer!);
    expect(cert.subject).toBe("CN=vpn.contoso.com, O=Contoso");
    expect(cert.issuer).toBe(cert.subject);
    expect(await cert.verify({ signatureOnly: true })).toBe(true);
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.toJSON()).toEqual(
      expect.arrayContaining([
        { type: "dns", value: "vpn.contoso.com" },
        { type: "email", value: "ops@contoso.com" },
      ]),
    );
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    expect(ku?.critical).toBe(true);
    expect(ku?.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    const months =
      (cert.notAfter.getUTCFullYear() - cert.notBefore.getUTCFullYear()) * 12 +
      cert.notAfter.getUTCMonth() -
      cert.notBefore.getUTCMonth();
    expect(months).toBe(3);
    expect(new X509Certificate(Buffer.from(cert.rawData)).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);

    // x5t is the SHA-1 of the DER; the properties mirror the certificate's validity.
    const sha1 = createHash("sha1").update(created.cer!).digest("hex");
    expect(created.properties.x509ThumbprintString).toBe(sha1);
    expect(created.properties.notBefore?.getTime()).toBe(cert.notBefore.getTime());
    expect(created.properties.expiresOn?.getTime()).toBe(cert.notAfter.getTime());
    expect(created.properties.enabled).toBe(true);
    expect(created.properties.recoveryLevel).toBe("Recoverable+Purgeable");
    expect(created.keyId).toBe(`${h.vault.url}/keys/${name}/${created.properties.version}`);
    expect(created.secretId).toBe(`${h.vault.url}/secrets/${name}/${created.properties.version}`);
    expect(created.policy?.issuerName).toBe("Self");

    const text = await openssl((dir) => ["x509", "-in", `${dir}/c.pem`, "-noout", "-text"], {
      "c.pem": toPem("CERTIFICATE", created.cer!),
    });
    expect(text).toContain("TLS Web Client Authentication");
  });

  it("accepts the SDK's lower-case default subject, defaults to RSA-2048 and refuses other key sizes", async () => {
    const name = uniqueCertName("defaults");
    const poller = await h.certificates.beginCreateCertificate(
      name,
      { issuerName: "Self", subject: "cn=MyCert" },
      POLL,
    );
    const created = await poller.pollUntilDone();
    const cert = new x509.X509Certificate(created.cer!);
    expect(cert.subject).toBe("CN=MyCert");
    expect(new X509Certificate(Buffer.from(cert.rawData)).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(h.vault.vault.describe(name)).toMatchObject({ keySize: 2048, exportable: true, pending: false });
    await expect(
      h.certificates.beginCreateCertificate(uniqueCertName("small"), selfPolicy({ keySize: 1024 }), POLL),
    ).rejects.toMatchObject({ statusCode: 400, code: "BadParameter" });
  });

  it("reads the latest and a given version, lists versions and certificates", async () => {
    const name = uniqueCertName("versions");
    const first = await createSelf(name);
    const second = await createSelf(name);
    expect(second.properties.version).not.toBe(first.properties.version);

    const latest = await h.certificates.getCertificate(name);
    expect(latest.properties.version).toBe(second.properties.version);
    const older = await h.certificates.getCertificateVersion(name, first.properties.version!);
    expect(Buffer.from(older.cer!).equals(Buffer.from(first.cer!))).toBe(true);

    const versions: string[] = [];
    for await (const item of h.certificates.listPropertiesOfCertificateVersions(name)) versions.push(item.version!);
    expect(versions.sort()).toEqual([first.properties.version, second.properties.version].sort());

    const names: string[] = [];
    for await (const item of h.certificates.listPropertiesOfCertificates()) names.push(item.name!);
    expect(names).toContain(name);
  });

  it("pages lists through nextLink", async () => {
    await createSelf(uniqueCertName("page"));
    const all: string[] = [];
    for await (const item of h.certificates.listPropertiesOfCertificates()) all.push(item.name!);
    expect(all.length).toBeGreaterThan(2);
    // The public options type has no maxresults, but the SDK passes its options through to the query.
    const options = { maxresults: 2 } as Parameters<typeof h.certificates.listPropertiesOfCertificates>[0];
    const pages: string[][] = [];
    for await (const page of h.certificates.listPropertiesOfCertificates(options).byPage()) {
      pages.push(page.map((item) => item.name!));
    }
    expect(pages.length).toBe(Math.ceil(all.length / 2));
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    expect(pages.flat()).toEqual(all);
  });

  it("updates tags and disables a version, and the change shows in reads and lists", async () => {
    const name = uniqueCertName("props");
    const created = await createSelf(name, {}, { owner: "p2s" });
    expect(created.properties.tags).toEqual({ owner: "p2s" });

    const updated = await h.certificates.updateCertificateProperties(name, "", {
      enabled: false,
      tags: { owner: "p2s", state: "revoked" },
    });
    expect(updated.properties.enabled).toBe(false);
    expect(updated.properties.tags).toEqual({ owner: "p2s", state: "revoked" });

    const read = await h.certificates.getCertificate(name);
    expect(read.properties.enabled).toBe(false);
    for await (const item of h.certificates.listPropertiesOfCertificates()) {
      if (item.name === name) expect(item.tags).toEqual({ owner: "p2s", state: "revoked" });
    }
  });

  it("reads and updates the policy", async () => {
    const name = uniqueCertName("policy");
    await createSelf(name, { exportable: false, contentType: "application/x-pem-file" });
    const policy = await h.certificates.getCertificatePolicy(name);
    expect(policy).toMatchObject({
      issuerName: "Self",
      exportable: false,
      contentType: "application/x-pem-file",
      keySize: 2048,
      keyType: "RSA",
      keyUsage: ["digitalSignature", "keyEncipherment"],
    });
    // updateCertificatePolicy resolves to an empty policy in this SDK version (it never reads the response body).
    await h.certificates.updateCertificatePolicy(name, { ...policy, validityInMonths: 6 });
    const changed = await h.certificates.getCertificatePolicy(name);
    expect(changed.validityInMonths).toBe(6);
    expect(changed.exportable).toBe(false);
    expect(changed.subject).toBe("CN=test.contoso.com");
  });

  it("answers 404 CertificateNotFound for an unknown name and 400 for an invalid one", async () => {
    await expect(h.certificates.getCertificate("does-not-exist")).rejects.toMatchObject({
      statusCode: 404,
      code: "CertificateNotFound",
    });
    await expect(h.certificates.beginCreateCertificate("bad_name!", selfPolicy(), POLL)).rejects.toMatchObject({
      statusCode: 400,
      code: "BadParameter",
    });
  });

  it("refuses more than 15 tags, over-long tag values and issuers it cannot reach", async () => {
    const name = uniqueCertName("tags");
    await createSelf(name);
    const tags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "v"]));
    await expect(h.certificates.updateCertificateProperties(name, "", { tags })).rejects.toMatchObject({
      statusCode: 400,
      code: "BadParameter",
    });
    await expect(
      h.certificates.updateCertificateProperties(name, "", { tags: { long: "x".repeat(257) } }),
    ).rejects.toMatchObject({ statusCode: 400 });
    delete tags.t15;
    const fifteen = await h.certificates.updateCertificateProperties(name, "", { tags });
    expect(Object.keys(fifteen.properties.tags ?? {})).toHaveLength(15);
    await expect(
      h.certificates.beginCreateCertificate(uniqueCertName("digicert"), selfPolicy({ issuerName: "DigiCert" }), POLL),
    ).rejects.toMatchObject({ statusCode: 400, code: "BadParameter" });
  });

  it("treats names case-insensitively", async () => {
    const name = uniqueCertName("CaseName");
    await createSelf(name);
    const read = await h.certificates.getCertificate(name.toLowerCase());
    expect(read.name).toBe(name);
  });
});

describe("soft delete", () => {
  it("deletes, recovers, deletes again and purges; a deleted name cannot be reused until purged", async () => {
    const name = uniqueCertName("soft");
    const created = await createSelf(name);

    const deleted = await (await h.certificates.beginDeleteCertificate(name, POLL)).pollUntilDone();
    expect(deleted.recoveryId).toBe(`${h.vault.url}/deletedcertificates/${name}`);
    expect(deleted.deletedOn).toBeInstanceOf(Date);
    expect(deleted.scheduledPurgeDate!.getTime() - deleted.deletedOn!.getTime()).toBe(90 * 86_400_000);
    await expect(h.certificates.getCertificate(name)).rejects.toMatchObject({ statusCode: 404 });
    await expect(h.keys.getKey(name)).rejects.toMatchObject({ statusCode: 404, code: "KeyNotFound" });
    await expect(h.secrets.getSecret(name)).rejects.toMatchObject({ statusCode: 404, code: "SecretNotFound" });

    const listed: string[] = [];
    for await (const item of h.certificates.listDeletedCertificates()) listed.push(item.name);
    expect(listed).toContain(name);
    expect((await h.certificates.getDeletedCertificate(name)).properties.version).toBe(created.properties.version);

    const reuse = h.certificates.beginCreateCertificate(name, selfPolicy(), POLL);
    await expect(reuse).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
    const error = (await reuse.catch((e: unknown) => e)) as RestError & { details?: unknown };
    expect(JSON.stringify(error.details)).toContain("ObjectIsDeletedButRecoverable");

    const recovered = await (await h.certificates.beginRecoverDeletedCertificate(name, POLL)).pollUntilDone();
    expect(recovered.properties.version).toBe(created.properties.version);
    expect((await h.keys.getKey(name)).id).toBe(created.keyId);

    await (await h.certificates.beginDeleteCertificate(name, POLL)).pollUntilDone();
    await h.certificates.purgeDeletedCertificate(name);
    await expect(h.certificates.getDeletedCertificate(name)).rejects.toMatchObject({ statusCode: 404 });

    const again = await createSelf(name);
    expect(again.properties.version).not.toBe(created.properties.version);
  });
});
