// Acceptance: the root bootstrap is serialised across app instances by a blob lease in the storage account (Azurite
// here, through the real @azure/storage-blob client). Ten bootstraps at once, each with its own Key Vault clients and
// its own storage client as separate instances would have, make one root over one key. The lock itself: one holder at
// a time, renewed while held, a lost lease noticed before the next step, waiters that take the holder's result.
import { BlobLeaseClient, BlobServiceClient } from "@azure/storage-blob";
import {
  BlobLeaseLock,
  LockLostError,
  LockTimeoutError,
  rootBootstrapLock,
} from "../../../src/clients/blob-lease-lock";
import { ensureRootCaDetailed } from "../../../src/clients/key-vault-ca";
import type { CaConfig } from "../../../src/clients/key-vault-ca";
import { createKeyVaultClients } from "../../../src/clients/keyvault";
import type { Config } from "../../../src/config";
import { describeCertificate } from "../../../src/domain/certificate-info";
import { derToPem } from "../../../src/domain/pem";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";
import { TempDir, startCaFixture } from "./ca-support";
import type { CaFixture } from "./ca-support";

let fixture: CaFixture;
let dir: TempDir;

beforeAll(async () => {
  [fixture, dir] = await Promise.all([startCaFixture(), TempDir.create()]);
});

afterAll(async () => {
  await Promise.all([fixture.stop(), dir.remove()]);
});

function service(): BlobServiceClient {
  return BlobServiceClient.fromConnectionString(azuriteConnectionString());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("ten concurrent bootstraps from separate instances", () => {
  it("make exactly one root over one key; one of them bootstraps, the others take its root", async () => {
    const config: Config = { ...fixture.config, CA_ROOT_NAME: uniqueName("p2s-root-burst-") };
    const creates = (): number => fixture.stack.keyVault.stats.operation("certificates.create").byStatus["202"] ?? 0;
    const before = creates();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        ensureRootCaDetailed(createKeyVaultClients(config), config as CaConfig, new Date(), {
          lock: rootBootstrapLock(config, { retryDelayMs: 50 }),
        }),
      ),
    );

    expect(new Set(results.map((r) => r.root.thumbprint)).size).toBe(1);
    expect(results.filter((r) => r.bootstrapped)).toHaveLength(1);
    // One temporary version and one CSR: a single key was ever made.
    expect(creates() - before).toBe(2);
    const versions: { isCa: boolean; enabled: boolean; key: string }[] = [];
    for await (const properties of fixture.kv.certificates.listPropertiesOfCertificateVersions(config.CA_ROOT_NAME)) {
      const d = fixture.stack.keyVault.vault.describe(config.CA_ROOT_NAME, properties.version ?? "");
      const leaf = d.chain[0];
      versions.push({
        isCa: leaf !== undefined && describeCertificate(new Uint8Array(leaf)).isCa,
        enabled: d.enabled,
        key: d.publicKeyPem,
      });
    }
    expect(versions).toHaveLength(2);
    expect(versions.filter((v) => v.isCa)).toEqual([expect.objectContaining({ enabled: true })]);
    expect(new Set(versions.map((v) => v.key)).size).toBe(1);

    const file = await dir.write(
      "burst-root.pem",
      derToPem(Buffer.from(results[0]?.root.publicCertData ?? "", "base64")),
    );
    expect((await dir.openssl(["verify", "-CAfile", file, file])).stdout.trim()).toBe(`${file}: OK`);

    // The lease was given back: the lock blob is free at once.
    const vault = new URL(config.KEY_VAULT_URL).host.replace(/[^a-z0-9.-]/g, "-");
    const blob = service()
      .getContainerClient("p2s-locks")
      .getBlobClient(`root-bootstrap/${vault}/${config.CA_ROOT_NAME}`);
    expect((await blob.getProperties()).leaseState).toBe("available");
  });
});

describe("BlobLeaseLock", () => {
  function lock(name: string, options: ConstructorParameters<typeof BlobLeaseLock>[2] = {}): BlobLeaseLock {
    return BlobLeaseLock.inService(service(), name, { leaseSeconds: 15, retryDelayMs: 20, ...options });
  }

  it("lets one holder in at a time", async () => {
    const name = uniqueName("mutex-");
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        lock(name).run(async () => {
          inside += 1;
          most = Math.max(most, inside);
          await sleep(40);
          order.push(i);
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("renews the lease while the work runs", async () => {
    const renewals = jest.spyOn(BlobLeaseClient.prototype, "renewLease");
    try {
      await lock(uniqueName("renew-"), { renewEveryMs: 50 }).run(async (guard) => {
        await sleep(400);
        guard.assertHeld();
      });
      expect(renewals.mock.calls.length).toBeGreaterThanOrEqual(3);
    } finally {
      renewals.mockRestore();
    }
  });

  it("notices a lost lease at the next step: the work stops with LockLostError", async () => {
    const name = uniqueName("lost-");
    const blob = service().getContainerClient("p2s-locks").getBlobClient(name);
    await expect(
      lock(name, { renewEveryMs: 50 }).run(async (guard) => {
        // Another party breaks the lease (an operator, or a lease that lapsed while this process stalled).
        await new BlobLeaseClient(blob).breakLease(0);
        await sleep(300);
        guard.assertHeld();
        return "done";
      }),
    ).rejects.toThrow(LockLostError);
  });

  it("a waiter takes the holder's result through poll, without the lock", async () => {
    const name = uniqueName("poll-");
    let result: string | undefined;
    const holder = lock(name).run(async () => {
      await sleep(300);
      result = "root";
      await sleep(2_000);
      return "root";
    });
    await sleep(50);
    const started = Date.now();
    const waited = await lock(name).run(() => Promise.resolve("should not run"), {
      poll: () => Promise.resolve(result),
    });
    expect(waited).toBe("root");
    expect(Date.now() - started).toBeLessThan(1_500);
    await holder;
  });

  it("gives up after its wait limit with LockTimeoutError, and frees nothing it does not hold", async () => {
    const name = uniqueName("timeout-");
    const holder = lock(name).run(() => sleep(800));
    await sleep(50);
    await expect(lock(name, { waitTimeoutMs: 200 }).run(() => Promise.resolve(1))).rejects.toThrow(LockTimeoutError);
    await holder;
    // Released by its holder: the next caller gets it at once.
    await expect(lock(name, { waitTimeoutMs: 200 }).run(() => Promise.resolve(2))).resolves.toBe(2);
  });

  it("refuses a lease period Azure does not offer", () => {
    expect(() => lock("x", { leaseSeconds: 90 })).toThrow(/15 to 60 seconds/);
  });
});
