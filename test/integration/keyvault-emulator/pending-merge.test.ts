// The CA pattern against the emulator: create with issuer "Unknown", read the pending operation's CSR, sign it
// outside, merge the chain. Also the conflicts and refusals around a pending operation.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { RestError } from "@azure/core-rest-pipeline";
import { POLL, createTestCa, openssl, signCsr, startHarness, toPem, uniqueCertName, unknownPolicy } from "./harness";
import type { Harness, TestCa } from "./harness";

let h: Harness;
let outside: TestCa;

beforeAll(async () => {
  [h, outside] = await Promise.all([startHarness(), createTestCa()]);
});

afterAll(async () => {
  await h.stop();
});

/** These tests drive the pending operation itself: Key Vault's transient 409s are off but where a test turns them on. */
const SEQUENTIAL = { pendingConflicts: 0 } as const;

beforeEach(() => {
  h.vault.vault.resetBehaviour();
  h.vault.vault.configure(SEQUENTIAL);
});

async function operationOf(name: string) {
  return (await h.certificates.getCertificateOperation(name, POLL)).getOperationState().certificateOperation;
}

async function createPending(name: string) {
  await h.certificates.beginCreateCertificate(
    name,
    unknownPolicy({
      subject: "CN=alice@contoso.com",
      subjectAlternativeNames: { userPrincipalNames: ["alice@contoso.com"], emails: ["alice@contoso.com"] },
      enhancedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
      keyUsage: ["digitalSignature", "keyEncipherment"],
      contentType: "application/x-pem-file",
    }),
    POLL,
  );
  return operationOf(name);
}

describe("pending certificates and merge", () => {
  it("creates a pending operation with a real CSR signed by the pending key", async () => {
    const name = uniqueCertName("pending");
    const operation = await createPending(name);
    expect(operation).toMatchObject({ status: "inProgress", issuerName: "Unknown", cancellationRequested: false });
    expect(operation?.csr).toBeDefined();

    const csrDer = operation!.csr!;
    const verified = await openssl((dir) => ["req", "-in", `${dir}/r.pem`, "-noout", "-verify", "-subject"], {
      "r.pem": toPem("CERTIFICATE REQUEST", csrDer),
    });
    expect(verified).toMatch(/verify OK/i);
    expect(verified).toContain("CN = alice@contoso.com");

    const csr = new x509.Pkcs10CertificateRequest(csrDer);
    expect(await csr.verify()).toBe(true);
    const san = csr.getExtension("2.5.29.17");
    expect(san).not.toBeNull();
    const names = new x509.SubjectAlternativeNameExtension(san!.rawData).names.toJSON();
    expect(names).toEqual(
      expect.arrayContaining([
        { type: "upn", value: "alice@contoso.com" },
        { type: "email", value: "alice@contoso.com" },
      ]),
    );
    // The CSR's key is the pending version's key, as the key endpoint shows it.
    const described = h.vault.vault.describe(name);
    expect(described.pending).toBe(true);
    const csrSpki = Buffer.from(csr.publicKey.rawData);
    const keySpki = Buffer.from(new x509.PublicKey(described.publicKeyPem).rawData);
    expect(csrSpki.equals(keySpki)).toBe(true);

    // Pending certificates are left out of lists unless asked for; a read shows the version without cer.
    const plain: string[] = [];
    for await (const item of h.certificates.listPropertiesOfCertificates()) plain.push(item.name!);
    expect(plain).not.toContain(name);
    const withPending: string[] = [];
    for await (const item of h.certificates.listPropertiesOfCertificates({ includePending: true })) {
      withPending.push(item.name!);
    }
    expect(withPending).toContain(name);
    const read = await h.certificates.getCertificate(name);
    expect(read.cer).toBeUndefined();
    expect(read.properties.enabled).toBe(false);
    await expect(h.secrets.getSecret(name)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("answers 409 Conflict to a second create while the operation is pending", async () => {
    const name = uniqueCertName("conflict");
    await createPending(name);
    await expect(h.certificates.beginCreateCertificate(name, unknownPolicy(), POLL)).rejects.toMatchObject({
      statusCode: 409,
      code: "Conflict",
    });
  });

  it("reads the operation through getCertificateOperation and merges a chain signed outside", async () => {
    const name = uniqueCertName("merge");
    await createPending(name);
    const operation = await operationOf(name);
    const leaf = await signCsr(outside, operation!.csr!);

    const merged = await h.certificates.mergeCertificate(name, [
      new Uint8Array(leaf.rawData),
      new Uint8Array(outside.certificate.rawData),
    ]);
    expect(Buffer.from(merged.cer!).equals(Buffer.from(leaf.rawData))).toBe(true);
    expect(merged.properties.enabled).toBe(true);
    expect(merged.properties.expiresOn?.getTime()).toBe(leaf.notAfter.getTime());
    expect((await h.certificates.getCertificate(name)).properties.version).toBe(merged.properties.version);

    expect((await operationOf(name))?.status).toBe("completed");

    // The merged chain verifies against the outside CA, with the client-auth purpose.
    const out = await openssl(
      (dir) => ["verify", "-CAfile", `${dir}/ca.pem`, "-purpose", "sslclient", `${dir}/leaf.pem`],
      {
        "ca.pem": toPem("CERTIFICATE", new Uint8Array(outside.certificate.rawData)),
        "leaf.pem": toPem("CERTIFICATE", merged.cer!),
      },
    );
    expect(out).toContain("OK");
    // The secret (PEM by policy here) carries the key and the whole merged chain, leaf first.
    const pem = (await h.secrets.getSecret(name)).value!;
    // The PEM block labels, in order (the key itself is generated by the emulator at test time).
    const labels = [...pem.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((m) => m[1]);
    expect(labels).toEqual(["PRIVATE KEY", "CERTIFICATE", "CERTIFICATE"]);
    // A merge with nothing pending is refused.
    await expect(h.certificates.mergeCertificate(name, [new Uint8Array(leaf.rawData)])).rejects.toMatchObject({
      statusCode: 403,
    });
  });

  it("refuses a chain whose leaf does not carry the pending key", async () => {
    const name = uniqueCertName("mismatch");
    await createPending(name);
    const other = uniqueCertName("other");
    const otherOperation = await createPending(other);
    const wrongLeaf = await signCsr(outside, otherOperation!.csr!);
    const attempt = h.certificates.mergeCertificate(name, [new Uint8Array(wrongLeaf.rawData)]);
    await expect(attempt).rejects.toMatchObject({ statusCode: 400, code: "BadParameter" });
    expect(((await attempt.catch((e: unknown) => e)) as RestError).message).toMatch(/public key/i);
    expect((await operationOf(name))?.status).toBe("inProgress");
  });

  it("cancels and deletes the operation, after which a new version can be requested", async () => {
    const name = uniqueCertName("cancel");
    await createPending(name);
    const poller = await h.certificates.getCertificateOperation(name, POLL);
    await poller.cancelOperation();
    expect(poller.getOperationState().certificateOperation).toMatchObject({
      cancellationRequested: true,
      status: "cancelled",
    });
    await h.certificates.deleteCertificateOperation(name);
    await expect(h.certificates.getCertificateOperation(name, POLL)).rejects.toMatchObject({ statusCode: 404 });
    const again = await createPending(name);
    expect(again?.status).toBe("inProgress");
    const versions: string[] = [];
    for await (const item of h.certificates.listPropertiesOfCertificateVersions(name)) versions.push(item.version!);
    expect(versions).toHaveLength(2);
  });
});

describe("Key Vault's transients (on by default)", () => {
  beforeEach(() => {
    h.vault.vault.resetBehaviour();
  });

  it("a Self create stays inProgress for a status read, a create meanwhile gets 409, then it completes", async () => {
    const name = uniqueCertName("self-moment");
    // The SDK's begin reads the operation once itself: two reads keep it in progress for one more look.
    h.vault.vault.configure({ selfCreatePendingReads: 2 });
    await h.certificates.beginCreateCertificate(
      name,
      unknownPolicy({ issuerName: "Self", subject: "CN=self.contoso.com" }),
      POLL,
    );
    expect((await operationOf(name))?.status).toBe("inProgress");
    expect(h.vault.vault.describe(name).pending).toBe(true);
    await expect(
      h.certificates.beginCreateCertificate(name, unknownPolicy({ issuerName: "Self" }), POLL),
    ).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
    // A Self operation is no CSR to merge.
    await expect(h.certificates.mergeCertificate(name, [new Uint8Array([0x30, 0x00])])).rejects.toMatchObject({
      statusCode: 403,
    });
    const operation = await operationOf(name);
    expect(operation).toMatchObject({ status: "completed", target: expect.stringContaining(name) as string });
    const done = await h.certificates.getCertificate(name);
    expect(done.cer?.length).toBeGreaterThan(0);
    expect(done.properties.enabled).toBe(true);
  });

  it("the first merge, cancellation and delete of a pending operation get 409 Conflict; the retry is served", async () => {
    const name = uniqueCertName("conflict");
    const pending = await createPending(name);
    const leaf = await signCsr(outside, pending!.csr!);
    const first = await h.certificates.mergeCertificate(name, [new Uint8Array(leaf.rawData)]).then(
      () => undefined,
      (error: unknown) => error as RestError,
    );
    expect(first).toMatchObject({ statusCode: 409, code: "Conflict" });
    expect(first?.message).toContain(`There was a conflict while updating pending certificate '${name}'`);
    expect((await operationOf(name))?.status).toBe("inProgress");
    const merged = await h.certificates.mergeCertificate(name, [new Uint8Array(leaf.rawData)]);
    expect(merged.cer?.length).toBeGreaterThan(0);

    const other = uniqueCertName("conflict-delete");
    await createPending(other);
    const cancel = (await h.certificates.getCertificateOperation(other, POLL)).cancelOperation();
    await expect(cancel).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
    const deleted = h.certificates.deleteCertificateOperation(other);
    await expect(deleted).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
    expect(((await deleted.catch((e: unknown) => e)) as RestError).message).toContain(
      `There was a conflict while deleting the pending certificate '${other}'`,
    );
    await h.certificates.deleteCertificateOperation(other);
    await expect(h.certificates.getCertificateOperation(other, POLL)).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe("undocumented behaviours, switchable", () => {
  async function issuedThenPending(name: string): Promise<{ issued: string }> {
    await createPending(name);
    const leaf = await signCsr(outside, (await operationOf(name))!.csr!);
    const merged = await h.certificates.mergeCertificate(name, [new Uint8Array(leaf.rawData)]);
    await h.certificates.beginCreateCertificate(name, unknownPolicy({ subject: "CN=alice@contoso.com" }), POLL);
    return { issued: merged.properties.version! };
  }

  it("latest = newestIssued (default): GET without a version answers the issued version while another is pending", async () => {
    const name = uniqueCertName("latest-issued");
    const { issued } = await issuedThenPending(name);
    const latest = await h.certificates.getCertificate(name);
    expect(latest.properties.version).toBe(issued);
    expect(latest.cer?.length).toBeGreaterThan(0);
  });

  it("latest = newestVersion: GET without a version answers the pending version, and the latest key is its (disabled) key", async () => {
    h.vault.vault.configure({ latest: "newestVersion" });
    const name = uniqueCertName("latest-newest");
    const { issued } = await issuedThenPending(name);
    const latest = await h.certificates.getCertificate(name);
    expect(latest.properties.version).not.toBe(issued);
    expect(latest.cer).toBeUndefined();
    await expect(h.keys.getKey(name)).rejects.toMatchObject({ statusCode: 403 });
    expect((await h.keys.getKey(name, { version: issued })).properties.enabled).toBe(true);
  });

  it("tags: a merge without tags keeps the create-time ones, unless told to drop them; tags sent are applied", async () => {
    const tagged = async (name: string): Promise<Uint8Array> => {
      await h.certificates.beginCreateCertificate(name, unknownPolicy({ subject: "CN=alice@contoso.com" }), {
        ...POLL,
        tags: { owner: "app" },
      });
      return new Uint8Array((await signCsr(outside, (await operationOf(name))!.csr!)).rawData);
    };
    const kept = uniqueCertName("tags-kept");
    await h.certificates.mergeCertificate(kept, [await tagged(kept)]);
    expect(h.vault.vault.describe(kept).tags).toEqual({ owner: "app" });

    h.vault.vault.configure({ mergeKeepsCreateTags: false });
    const dropped = uniqueCertName("tags-dropped");
    await h.certificates.mergeCertificate(dropped, [await tagged(dropped)]);
    expect(h.vault.vault.describe(dropped).tags).toEqual({});

    // Tags in the merge body (which CertificateClient.mergeCertificate does not send itself) are applied.
    const sent = uniqueCertName("tags-sent");
    const leaf = await tagged(sent);
    const withTags = h.newCertificateClient(h.credential, {
      additionalPolicies: [
        {
          position: "perCall",
          policy: {
            name: "mergeTags",
            sendRequest: (request, next) => {
              if (request.url.includes("/pending/merge") && typeof request.body === "string") {
                request.body = JSON.stringify({ ...(JSON.parse(request.body) as object), tags: { owner: "merge" } });
              }
              return next(request);
            },
          },
        },
      ],
    });
    await withTags.mergeCertificate(sent, [leaf]);
    expect(h.vault.vault.describe(sent).tags).toEqual({ owner: "merge" });
  });
});
