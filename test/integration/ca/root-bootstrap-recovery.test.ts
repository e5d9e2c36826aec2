// Acceptance: the root bootstrap recovers from a failure at every step boundary, whichever version Key Vault calls
// "latest" while an operation is pending (both readings are emulated), through the real SDK clients. After the failure
// and a retry there is exactly one CA version, enabled, whose key is the one key the bootstrap made; openssl reads it as
// a self-signed CA:TRUE certificate. A merge that fails is never taken for success, and the temporary version stays
// usable until the root is verified.
import { CertificateClient } from "@azure/keyvault-certificates";
import { ensureRootCa, getRootCa, OWNER_TAG, OWNER_VALUE } from "../../../src/clients/key-vault-ca";
import type { CaConfig, RootCa } from "../../../src/clients/key-vault-ca";
import { describeCertificate } from "../../../src/domain/certificate-info";
import { derToPem } from "../../../src/domain/pem";
import type { LatestRule } from "../../../dev/emulators/keyvault";
import { TempDir, extensionText, startCaFixture } from "./ca-support";
import type { CaFixture } from "./ca-support";

let fixture: CaFixture;
let dir: TempDir;
let counter = 0;

beforeAll(async () => {
  [fixture, dir] = await Promise.all([startCaFixture({}, { skipSleeps: true }), TempDir.create()]);
});

afterAll(async () => {
  await Promise.all([fixture.stop(), dir.remove()]);
});

afterEach(() => {
  jest.restoreAllMocks();
  fixture.stack.keyVault.faults.clear();
  fixture.stack.keyVault.vault.resetBehaviour();
});

function freshConfig(): CaConfig {
  counter += 1;
  return { ...fixture.config, CA_ROOT_NAME: `p2s-root-recovery-${counter}` };
}

interface VersionFacts {
  readonly version: string;
  readonly enabled: boolean;
  readonly pending: boolean;
  readonly isCa: boolean;
  readonly publicKeyPem: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Every version of `name`, pending ones included, as the emulator holds them. */
async function versionsOf(name: string): Promise<VersionFacts[]> {
  const facts: VersionFacts[] = [];
  for await (const properties of fixture.kv.certificates.listPropertiesOfCertificateVersions(name)) {
    const d = fixture.stack.keyVault.vault.describe(name, properties.version ?? "");
    const leaf = d.chain[0];
    facts.push({
      version: d.version,
      enabled: d.enabled,
      pending: d.pending,
      isCa: leaf !== undefined && describeCertificate(new Uint8Array(leaf)).isCa,
      publicKeyPem: d.publicKeyPem,
      tags: d.tags,
    });
  }
  return facts;
}

function creates(): number {
  return fixture.stack.keyVault.stats.operation("certificates.create").byStatus["202"] ?? 0;
}

/** Exactly one CA version, enabled, made over the single key every issued version carries; openssl agrees. */
async function expectOneRoot(config: CaConfig, root: RootCa): Promise<void> {
  const versions = await versionsOf(config.CA_ROOT_NAME);
  const cas = versions.filter((v) => v.isCa);
  expect(cas).toHaveLength(1);
  const [ca] = cas;
  expect(ca?.enabled).toBe(true);
  // The temporary versions are retired; only the CA is usable.
  expect(versions.filter((v) => v.enabled).map((v) => v.version)).toEqual([ca?.version]);
  expect(new Set(versions.filter((v) => !v.pending).map((v) => v.publicKeyPem)).size).toBe(1);
  expect(ca?.tags).toMatchObject({ [OWNER_TAG]: OWNER_VALUE, role: "root" });
  expect(root.keyId).toContain(`/keys/${config.CA_ROOT_NAME}/${ca?.version ?? ""}`);

  const file = await dir.write(`${config.CA_ROOT_NAME}.pem`, derToPem(Buffer.from(root.publicCertData, "base64")));
  const text = await dir.openssl(["x509", "-in", file, "-noout", "-text"]);
  expect(extensionText(text.stdout, "X509v3 Basic Constraints:")).toBe(
    "X509v3 Basic Constraints: critical\nCA:TRUE, pathlen:0",
  );
  const verify = await dir.openssl(["verify", "-CAfile", file, file]);
  expect(verify.stdout.trim()).toBe(`${file}: OK`);
  const publicKey = await dir.openssl(["x509", "-in", file, "-noout", "-pubkey"]);
  expect(publicKey.stdout.trim()).toBe(ca?.publicKeyPem.trim());
  expect(await getRootCa(fixture.kv, config)).toEqual(root);
}

/** Deletes a pending operation as an operator would: again after Key Vault's transient 409 conflict. */
async function deleteOperationByHand(name: string): Promise<void> {
  try {
    await fixture.kv.certificates.deleteCertificateOperation(name);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    await fixture.kv.certificates.deleteCertificateOperation(name);
  }
}

/** Calls `after` once the n-th call (1-based) of a certificate client method has resolved. */
function afterCall(method: "beginCreateCertificate" | "mergeCertificate", n: number, after: () => void): void {
  const original = CertificateClient.prototype[method] as (...args: unknown[]) => Promise<unknown>;
  let calls = 0;
  // Creates go through the send-once client (certificate-create.ts), everything else through the usual one.
  const client = method === "beginCreateCertificate" ? fixture.kv.certificateCreates : fixture.kv.certificates;
  jest.spyOn(client, method).mockImplementation(async function (this: CertificateClient, ...args: unknown[]) {
    const result: unknown = await original.apply(this, args);
    calls += 1;
    if (calls === n) after();
    return result;
  } as never);
}

const STANDING_503 = { status: 503, retryAfterSeconds: 0 } as const;

describe.each<LatestRule>(["newestIssued", "newestVersion"])("root bootstrap recovery (latest = %s)", (latest) => {
  beforeEach(() => {
    fixture.stack.keyVault.vault.configure({ latest });
  });

  async function failThenRetry(config: CaConfig, arm: () => void, checkAfterFailure?: () => Promise<void>) {
    arm();
    await expect(ensureRootCa(fixture.kv, config, new Date())).rejects.toThrow();
    await checkAfterFailure?.();
    jest.restoreAllMocks();
    fixture.stack.keyVault.faults.clear();
    return ensureRootCa(fixture.kv, config, new Date());
  }

  it("the temporary version's create fails: the retry makes one root", async () => {
    const config = freshConfig();
    const before = creates();
    const root = await failThenRetry(config, () => {
      fixture.stack.keyVault.faults.add({ operation: "certificates.create", ...STANDING_503 });
    });
    expect(creates() - before).toBe(2);
    await expectOneRoot(config, root);
  });

  it("the temporary version is made, the CSR's create fails: the retry reuses that key", async () => {
    const config = freshConfig();
    const before = creates();
    const root = await failThenRetry(config, () => {
      afterCall("beginCreateCertificate", 1, () => {
        fixture.stack.keyVault.faults.add({ operation: "certificates.create", ...STANDING_503 });
      });
    });
    // One temporary version and one CSR: no second key.
    expect(creates() - before).toBe(2);
    await expectOneRoot(config, root);
  });

  it("the CSR is pending, signing fails: the retry signs the same CSR, no new create", async () => {
    const config = freshConfig();
    const before = creates();
    const root = await failThenRetry(config, () => {
      fixture.stack.keyVault.faults.add({ operation: "keys.sign", ...STANDING_503 });
    });
    expect(creates() - before).toBe(2);
    await expectOneRoot(config, root);
  });

  it.each([400, 403, 404, 409, 503])(
    "the merge answers %i: not taken for success, the temporary version stays usable, the retry merges",
    async (status) => {
      const config = freshConfig();
      const before = creates();
      const root = await failThenRetry(
        config,
        () => {
          fixture.stack.keyVault.faults.add({ operation: "certificates.merge", status, retryAfterSeconds: 0 });
        },
        async () => {
          const versions = await versionsOf(config.CA_ROOT_NAME);
          expect(versions.some((v) => v.isCa)).toBe(false);
          // The temporary version was not retired on the strength of an error.
          expect(versions.filter((v) => !v.pending && v.enabled)).toHaveLength(1);
          expect(await getRootCa(fixture.kv, config)).toBeUndefined();
        },
      );
      expect(creates() - before).toBe(2);
      await expectOneRoot(config, root);
    },
  );

  it("the root is merged, retiring the temporary version fails: the retry finds the root and retires it", async () => {
    const config = freshConfig();
    const before = creates();
    const root = await failThenRetry(
      config,
      () => {
        fixture.stack.keyVault.faults.add({ operation: "certificates.update", ...STANDING_503 });
      },
      async () => {
        expect((await versionsOf(config.CA_ROOT_NAME)).filter((v) => v.isCa)).toHaveLength(1);
      },
    );
    expect(creates() - before).toBe(2);
    await expectOneRoot(config, root);
  });

  it("the merge went through but its answer was lost: the retry verifies the root instead of merging again", async () => {
    const config = freshConfig();
    const root = await failThenRetry(config, () => {
      afterCall("mergeCertificate", 1, () => {
        throw new Error("connection reset after the merge");
      });
    });
    expect(fixture.stack.keyVault.stats.operation("certificates.merge").byStatus["201"]).toBeGreaterThan(0);
    await expectOneRoot(config, root);
  });

  it("recovers the state an early retirement left: temporary version disabled, CSR pending over its key", async () => {
    const config = freshConfig();
    // Stop right after the CSR, then retire the temporary version as a merge failure taken for success used to.
    fixture.stack.keyVault.faults.add({ operation: "keys.sign", ...STANDING_503 });
    await expect(ensureRootCa(fixture.kv, config, new Date())).rejects.toThrow();
    fixture.stack.keyVault.faults.clear();
    const temporary = (await versionsOf(config.CA_ROOT_NAME)).find((v) => !v.pending);
    await fixture.kv.certificates.updateCertificateProperties(config.CA_ROOT_NAME, temporary?.version ?? "", {
      enabled: false,
    });
    const before = creates();

    const root = await ensureRootCa(fixture.kv, config, new Date());
    // The disabled temporary version carries the pending CSR's key: it is enabled again to sign, then retired.
    expect(creates() - before).toBe(0);
    await expectOneRoot(config, root);
  });

  it("discards a pending CSR over someone else's key and makes the root over the temporary version's key", async () => {
    const config = freshConfig();
    // Someone else's CSR under the root's name, over a key of its own, before any bootstrap.
    await fixture.kv.certificates.beginCreateCertificate(config.CA_ROOT_NAME, {
      issuerName: "Unknown",
      subject: "CN=someone else",
      keySize: 2048,
      reuseKey: false,
    });
    const root = await ensureRootCa(fixture.kv, config, new Date());
    await expectOneRoot(config, root);
    expect(fixture.stack.keyVault.stats.operation("certificates.deleteOperation").byStatus["200"]).toBeGreaterThan(0);
  });

  it("a pending version newer than the temporary one: the CSR always carries the temporary version's key", async () => {
    const config = freshConfig();
    fixture.stack.keyVault.faults.add({ operation: "keys.sign", ...STANDING_503 });
    await expect(ensureRootCa(fixture.kv, config, new Date())).rejects.toThrow();
    fixture.stack.keyVault.faults.clear();
    // The bootstrap's CSR cancelled by hand, then a newer pending version over another key, its operation deleted.
    await deleteOperationByHand(config.CA_ROOT_NAME);
    await fixture.kv.certificates.beginCreateCertificate(config.CA_ROOT_NAME, {
      issuerName: "Unknown",
      subject: "CN=someone else",
      keySize: 2048,
      reuseKey: false,
    });
    await deleteOperationByHand(config.CA_ROOT_NAME);

    const root = await ensureRootCa(fixture.kv, config, new Date());
    const versions = await versionsOf(config.CA_ROOT_NAME);
    const cas = versions.filter((v) => v.isCa);
    expect(cas).toHaveLength(1);
    expect(versions.filter((v) => v.enabled).map((v) => v.version)).toEqual([cas[0]?.version]);
    // Whatever reuseKey took, the root's key is a temporary version's key, which is what signed it.
    const temporaries = versions.filter((v) => !v.pending && !v.isCa);
    expect(temporaries.map((v) => v.publicKeyPem)).toContain(cas[0]?.publicKeyPem);
    const file = await dir.write(`${config.CA_ROOT_NAME}.pem`, derToPem(Buffer.from(root.publicCertData, "base64")));
    expect((await dir.openssl(["verify", "-CAfile", file, file])).stdout.trim()).toBe(`${file}: OK`);
  });
});

describe("Key Vault's transients (the emulator's defaults, as Azure)", () => {
  function statuses(operation: string): Record<string, number> {
    return { ...fixture.stack.keyVault.stats.operation(operation).byStatus };
  }
  function delta(before: Record<string, number>, after: Record<string, number>, status: string): number {
    return (after[status] ?? 0) - (before[status] ?? 0);
  }

  it("a temporary version's create left in progress by a failed attempt is waited for, not made again", async () => {
    const config = freshConfig();
    // The SDK's create reads the operation once; two more reads keep the Self create in progress past the failure.
    fixture.stack.keyVault.vault.configure({ selfCreatePendingReads: 3 });
    const before = creates();
    afterCall("beginCreateCertificate", 1, () => {
      fixture.stack.keyVault.faults.add({ operation: "certificates.getOperation", ...STANDING_503 });
    });
    await expect(ensureRootCa(fixture.kv, config, new Date())).rejects.toThrow();
    jest.restoreAllMocks();
    fixture.stack.keyVault.faults.clear();
    expect(fixture.stack.keyVault.vault.describe(config.CA_ROOT_NAME).pending).toBe(true);
    const root = await ensureRootCa(fixture.kv, config, new Date());
    // One temporary version (the one in progress) and one CSR: no second key, nothing discarded.
    expect(creates() - before).toBe(2);
    expect((await versionsOf(config.CA_ROOT_NAME)).filter((v) => !v.pending)).toHaveLength(2);
    await expectOneRoot(config, root);
  });

  it("a discard and a merge refused with 409 conflicts on the pending certificate are tried again", async () => {
    const config = freshConfig();
    await fixture.kv.certificates.beginCreateCertificate(config.CA_ROOT_NAME, {
      issuerName: "Unknown",
      subject: "CN=someone else",
      keySize: 2048,
      reuseKey: false,
    });
    const [deletes, merges] = [statuses("certificates.deleteOperation"), statuses("certificates.merge")];
    const root = await ensureRootCa(fixture.kv, config, new Date());
    await expectOneRoot(config, root);
    const [deletesAfter, mergesAfter] = [statuses("certificates.deleteOperation"), statuses("certificates.merge")];
    expect(delta(deletes, deletesAfter, "409")).toBe(1);
    expect(delta(deletes, deletesAfter, "200")).toBe(1);
    expect(delta(merges, mergesAfter, "409")).toBe(1);
    expect(delta(merges, mergesAfter, "201")).toBe(1);
  });
});

describe("tags through the merge", () => {
  it("are sent in the merge body, so they hold even when a merge without tags would drop them", async () => {
    fixture.stack.keyVault.vault.configure({ mergeKeepsCreateTags: false });
    const config = freshConfig();
    const root = await ensureRootCa(fixture.kv, config, new Date());
    await expectOneRoot(config, root);
  });
});
