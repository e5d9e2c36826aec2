// Acceptance of the managed roots with the real SDKs against Azurite and the Key Vault emulator: a second root made
// as the first was (non-exportable key, verified CA), issuance signing with the registry's current root, client
// certificates verified by openssl against their own root only, PKCS#12 chained to the signing root, GET
// /api/v1/roots listing every root with its state, every trusted root's expiry judged, and the retirement: Key Vault
// versions disabled (its key signs no more), the ledger's certificates superseded. Each activity run twice answers
// the same and is audited once. Then a withdrawal (cancel before promotion) and a restore (cancel after).
import { createHash } from "node:crypto";
import { HttpRequest } from "@azure/functions";
import { ensureRootAudited } from "../../../src/activities/ca-root";
import {
  createNextRootNow,
  promoteRootNow,
  restoreRootNow,
  retireRootNow,
  withdrawRootNow,
} from "../../../src/activities/root-rotation";
import { services } from "../../../src/activities/services";
import { scanExpiry } from "../../../src/clients/expiry-scan";
import { blobServiceClient } from "../../../src/clients/storage";
import { keyVaultSigner } from "../../../src/clients/key-vault-signer";
import type { RootCa } from "../../../src/clients/key-vault-ca";
import { trustedRoots } from "../../../src/clients/managed-roots";
import { usersToReissue } from "../../../src/clients/root-certificates";
import { exportUserPkcs12 } from "../../../src/clients/user-pkcs12";
import { getConfig } from "../../../src/config";
import { generatePassphrase } from "../../../src/domain/passphrase";
import { derToPem } from "../../../src/domain/pem";
import { upnKey, assertUpn } from "../../../src/domain/upn";
import { listRoots } from "../../../src/functions/roots-http";
import type { RootAnswer } from "../../../src/functions/roots-http";
import { startStack } from "../../support/stack";
import type { Stack } from "../../support/stack";
import { TempDir, issueForTest } from "../ca/ca-support";
import type { CaFixture, IssuedForTest } from "../ca/ca-support";

const ACTOR = "user:admin@contoso.com";
const ROT = { rotationId: "rot-1", actor: ACTOR };

let stack: Stack;
let dir: TempDir;
let fixture: CaFixture;
let first: RootCa;
let second: RootCa;
let alice: IssuedForTest;
let bob: IssuedForTest;

beforeAll(async () => {
  [stack, dir] = await Promise.all([startStack(), TempDir.create()]);
  stack.useProcessEnv();
  fixture = { stack, config: getConfig(), kv: services().keyVault, stop: () => stack.stop() };
});

afterAll(async () => {
  await Promise.all([stack.stop(), dir.remove()]);
});

async function pemFile(name: string, root: RootCa): Promise<string> {
  return dir.write(name, derToPem(Buffer.from(root.publicCertData, "base64")));
}

/** openssl verify of a client certificate against one root alone: its exit code and output. */
async function verifyAgainst(issued: IssuedForTest, root: RootCa): Promise<{ code: number; out: string }> {
  const rootFile = await pemFile(`${root.name}.pem`, root);
  const leaf = await dir.write(`${issued.certificateName}.pem`, issued.view.certificatePem);
  const result = await dir.openssl(["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", rootFile, leaf]);
  return { code: result.code, out: result.stdout + result.stderr };
}

async function recordActive(issued: IssuedForTest, upn: string, root: RootCa): Promise<void> {
  await services().ledger.putCertificate({
    userKey: upnKey(assertUpn(upn)),
    upn,
    certificateName: issued.certificateName,
    status: "active",
    requestId: issued.certificateName,
    source: "api",
    sourceId: issued.certificateName,
    thumbprint: issued.view.thumbprint,
    rootThumbprint: root.thumbprint,
    updatedAt: new Date(),
  });
}

async function rootsAnswer(): Promise<RootAnswer[]> {
  const response = await listRoots(
    new HttpRequest({
      method: "GET",
      url: "http://127.0.0.1/api/v1/roots",
      headers: { authorization: `Bearer ${stack.adminToken}` },
    }),
  );
  expect(response.status).toBe(200);
  return response.jsonBody as RootAnswer[];
}

async function versionsEnabled(name: string): Promise<boolean[]> {
  const enabled: boolean[] = [];
  for await (const p of services().keyVault.certificates.listPropertiesOfCertificateVersions(name)) {
    enabled.push(p.enabled === true);
  }
  return enabled;
}

async function rootAudit(): Promise<string[]> {
  return (await services().ledger.listAudit("root")).map((a) => a.id).sort();
}

describe("a second managed root", () => {
  it("with an empty registry, issuance signs with CA_ROOT_NAME, registered as current", async () => {
    first = await ensureRootAudited(ACTOR);
    expect(first.name).toBe(getConfig().CA_ROOT_NAME);
    const registered = await services().roots.list();
    expect(registered).toEqual([
      expect.objectContaining({ name: first.name, state: "current", generation: 1, thumbprint: first.thumbprint }),
    ]);
    alice = await issueForTest(fixture, first, "alice@contoso.com", "REQ-A");
    await recordActive(alice, "alice@contoso.com", first);
  });

  it("is created as the first was: a non-exportable key, a verified CA of its own subject; once", async () => {
    const created = await createNextRootNow(ROT);
    expect(await createNextRootNow(ROT)).toEqual(created);
    expect(created.name).toBe(`${getConfig().CA_ROOT_NAME}-g2`);
    const located = (await trustedRoots(services().keyVault, services().roots)).trusted;
    // Pending: trusted (on every gateway) but not signing; the current one first.
    expect(located.map((r) => r.name)).toEqual([first.name, created.name]);
    second = located[1] as RootCa;
    expect(second.thumbprint).toBe(created.thumbprint);
    expect(second.subject).toBe("CN=P2S Root CA G2, O=p2s-lifecycle");
    expect(stack.keyVault.vault.describe(created.name).exportable).toBe(false);
    const secret = await services().keyVault.secrets.getSecret(created.name);
    expect(secret.value).not.toMatch(/PRIVATE KEY/);
    const file = await pemFile("second.pem", second);
    const self = await dir.openssl(["verify", "-x509_strict", "-CAfile", file, file]);
    expect(self.stdout + self.stderr).toContain(": OK");
    const text = (await dir.openssl(["x509", "-in", file, "-noout", "-text"])).stdout;
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect((await services().roots.get(created.name))?.state).toBe("pending");
    expect((await ensureRootAudited(ACTOR)).thumbprint).toBe(first.thumbprint);
    // Bootstrapped under its own lease (one lock blob per vault and root name), given back.
    const vault = new URL(getConfig().KEY_VAULT_URL).host.replace(/[^a-z0-9.-]/g, "-");
    const locks = blobServiceClient(getConfig()).getContainerClient("p2s-locks");
    expect((await locks.getBlobClient(`root-bootstrap/${vault}/${created.name}`).getProperties()).leaseState).toBe(
      "available",
    );
  });

  it("signs once promoted; each certificate verifies against its own root only", async () => {
    const promoted = await promoteRootNow({ ...ROT, name: second.name });
    expect(promoted).toEqual({ name: second.name, thumbprint: second.thumbprint, previous: first.name });
    expect(await promoteRootNow({ ...ROT, name: second.name })).toEqual(promoted);
    const states = (await services().roots.list()).map((r) => [r.name, r.state]);
    expect(states).toEqual([
      [first.name, "retiring"],
      [second.name, "current"],
    ]);
    const signing = await ensureRootAudited(ACTOR);
    expect(signing.thumbprint).toBe(second.thumbprint);
    bob = await issueForTest(fixture, signing, "bob@contoso.com", "REQ-B");
    await recordActive(bob, "bob@contoso.com", signing);
    const tags = (await services().keyVault.certificates.getCertificate(bob.certificateName)).properties.tags;
    expect(tags?.rootThumbprint).toBe(second.thumbprint);

    expect((await verifyAgainst(bob, second)).out).toContain(": OK");
    expect((await verifyAgainst(alice, first)).out).toContain(": OK");
    const crossed = [await verifyAgainst(bob, first), await verifyAgainst(alice, second)];
    for (const result of crossed) {
      expect(result.code).not.toBe(0);
      expect(result.out).toMatch(/unable to get local issuer certificate/);
    }
  });

  it("exports each PKCS#12 with the root that signed it", async () => {
    for (const [issued, root] of [
      [alice, first],
      [bob, second],
    ] as const) {
      const passphrase = generatePassphrase();
      const pfx = await exportUserPkcs12(
        services().keyVault,
        services().roots,
        issued.certificateName,
        passphrase,
        "aes256",
        {
          thumbprint: issued.view.thumbprint,
        },
      );
      const file = await dir.write(`${issued.certificateName}.pfx`, pfx);
      const ca = await dir.openssl(["pkcs12", "-in", file, "-passin", `pass:${passphrase}`, "-nokeys", "-cacerts"]);
      const pem = ca.stdout.slice(ca.stdout.indexOf("-----BEGIN CERTIFICATE-----"));
      expect(pem.trim()).toBe(derToPem(Buffer.from(root.publicCertData, "base64")).trim());
    }
  });

  it("is listed by GET /api/v1/roots with its state, the signing root first", async () => {
    const listed = await rootsAnswer();
    expect(listed.map((r) => [r.name, r.state, r.thumbprint])).toEqual([
      [second.name, "current", second.thumbprint],
      [first.name, "retiring", first.thumbprint],
    ]);
    expect(listed[0]).toMatchObject({ publicCertData: second.publicCertData, rotationId: "rot-1" });
  });

  it("has its expiry judged, as the first root's", async () => {
    const config = getConfig();
    const { keyVault, ledger, gateways, roots } = services();
    const nearEnd = new Date(Date.parse(second.notAfter) - 3 * 86_400_000);
    const scan = await scanExpiry(config, { keyVault, ledger, gateways, roots }, nearEnd);
    const judged = scan.alerts.filter((a) => a.details.objectKind === "ca-root").map((a) => a.subject);
    expect(judged.sort()).toEqual([first.name, second.name].sort());
  });

  it("lists the users still to reissue under the new root", async () => {
    expect(await usersToReissue(services().ledger, second.thumbprint, 10)).toEqual({ upns: ["alice@contoso.com"] });
  });
});

describe("retiring the old root", () => {
  it("disables every version, supersedes its certificates, and answers the same on a repeat", async () => {
    const retired = await retireRootNow({ ...ROT, name: first.name });
    expect(retired).toEqual({ superseded: 1 });
    expect(await retireRootNow({ ...ROT, name: first.name })).toEqual(retired);
    expect((await services().roots.get(first.name))?.state).toBe("retired");
    const enabled = await versionsEnabled(first.name);
    expect(enabled.length).toBeGreaterThan(1);
    expect(enabled.every((e) => !e)).toBe(true);
    const { ledger } = services();
    expect((await ledger.getCertificate("alice@contoso.com", alice.certificateName))?.status).toBe("superseded");
    expect((await ledger.getCertificate("bob@contoso.com", bob.certificateName))?.status).toBe("active");
    const managed = await trustedRoots(services().keyVault, services().roots);
    expect(managed.trusted.map((r) => r.name)).toEqual([second.name]);
    expect(managed.retiredNames).toEqual([first.name]);
    // Still listed, from the registry's record of it.
    expect((await rootsAnswer()).map((r) => [r.name, r.state, r.publicCertData])).toEqual([
      [second.name, "current", second.publicCertData],
      [first.name, "retired", first.publicCertData],
    ]);
  });

  it("leaves a key that can no longer sign", async () => {
    const digest = createHash("sha256").update("anything").digest();
    await expect(keyVaultSigner(services().keyVault, first.keyId).sign(digest)).rejects.toMatchObject({
      statusCode: 403,
    });
    await expect(keyVaultSigner(services().keyVault, second.keyId).sign(digest)).resolves.toHaveLength(256);
  });

  it("audited each step once", async () => {
    expect(await rootAudit()).toEqual(
      expect.arrayContaining([
        `rotation:rot-1:root-created:${second.name}`,
        `rotation:rot-1:root-promoted:${second.name}`,
        `rotation:rot-1:root-retired:${first.name}`,
      ]),
    );
    const ids = await rootAudit();
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("cancelling a rotation", () => {
  it("before the promotion withdraws the new root and disables it; it can no longer be promoted", async () => {
    const rot = { rotationId: "rot-2", actor: ACTOR };
    // Two deliveries at once (at-least-once, two instances): one root, one bootstrap, the same answer.
    const [created, twin] = await Promise.all([createNextRootNow(rot), createNextRootNow(rot)]);
    expect(twin).toEqual(created);
    expect(created.name).toBe(`${getConfig().CA_ROOT_NAME}-g3`);
    const cas = [];
    for await (const p of services().keyVault.certificates.listPropertiesOfCertificateVersions(created.name)) {
      if (p.tags?.bootstrap === "complete") cas.push(p.version);
    }
    expect(cas).toHaveLength(1);
    expect(await withdrawRootNow({ ...rot, name: created.name })).toEqual({ name: created.name });
    expect(await withdrawRootNow({ ...rot, name: created.name })).toEqual({ name: created.name });
    expect((await services().roots.get(created.name))?.state).toBe("withdrawn");
    expect((await versionsEnabled(created.name)).every((e) => !e)).toBe(true);
    const managed = await trustedRoots(services().keyVault, services().roots);
    expect(managed.trusted.map((r) => r.name)).toEqual([second.name]);
    expect(managed.retiredNames.sort()).toEqual([first.name, created.name].sort());
    await expect(promoteRootNow({ ...rot, name: created.name })).rejects.toThrow(/is withdrawn, not pending/);
    await expect(createNextRootNow(rot)).rejects.toThrow(/is withdrawn/);
  });

  it("withdraws a root whose bootstrap stopped half-way: its pending operation discarded, nothing enabled", async () => {
    const rot = { rotationId: "rot-4", actor: ACTOR };
    const reserved = await services().roots.reserve(rot.rotationId, new Date());
    const { certificates } = services().keyVault;
    await certificates.beginCreateCertificate(reserved.name, {
      issuerName: "Unknown",
      subject: "CN=half-way",
      exportable: false,
      keyType: "RSA",
      keySize: 2048,
    });
    expect(
      (await certificates.getCertificateOperation(reserved.name)).getOperationState().certificateOperation?.status,
    ).toBe("inProgress");
    await withdrawRootNow({ ...rot, name: reserved.name });
    await expect(certificates.getCertificateOperation(reserved.name)).rejects.toMatchObject({ statusCode: 404 });
    expect((await versionsEnabled(reserved.name)).some((e) => e)).toBe(false);
    expect((await services().roots.get(reserved.name))?.state).toBe("withdrawn");
  });

  it("after the promotion restores the old root as current; the new one is retiring", async () => {
    const rot = { rotationId: "rot-3", actor: ACTOR };
    const created = await createNextRootNow(rot);
    await promoteRootNow({ ...rot, name: created.name });
    expect((await ensureRootAudited(ACTOR)).thumbprint).toBe(created.thumbprint);
    const input = { ...rot, oldName: second.name, newName: created.name };
    expect(await restoreRootNow(input)).toEqual({ name: second.name });
    expect(await restoreRootNow(input)).toEqual({ name: second.name });
    expect((await services().roots.get(created.name))?.state).toBe("retiring");
    expect((await ensureRootAudited(ACTOR)).thumbprint).toBe(second.thumbprint);
    // A rotation never moves a root another rotation made.
    await expect(withdrawRootNow({ rotationId: "rot-9", actor: ACTOR, name: created.name })).rejects.toThrow(
      /was not made by rotation rot-9/,
    );
  });
});
