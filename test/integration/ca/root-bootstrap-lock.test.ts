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
import { waitFor, within } from "../../support/wait";
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
  // No sleeps: each step waits on what it needs to have happened (a refused attempt, a renewal, a poll), with a
  // deadline, and holders stay inside the lock until the test lets them out.
  function lock(name: string, options: ConstructorParameters<typeof BlobLeaseLock>[2] = {}): BlobLeaseLock {
    return BlobLeaseLock.inService(service(), name, { leaseSeconds: 15, retryDelayMs: 20, ...options });
  }

  /** A promise the test resolves: a holder waits on it inside the lock. */
  function gate(): { readonly opened: Promise<void>; open(): void } {
    let open = (): void => undefined;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { opened, open };
  }

  const leaseState = async (name: string): Promise<string | undefined> =>
    (await service().getContainerClient("p2s-locks").getBlobClient(name).getProperties()).leaseState;

  it("lets one holder in at a time, each while the others are refused", async () => {
    const name = uniqueName("mutex-");
    const refused = jest.spyOn(BlobLeaseClient.prototype, "acquireLease");
    const refusals = async (): Promise<number> => {
      let count = 0;
      for (const result of refused.mock.results) {
        if (result.type !== "return") continue;
        const failed = await (result.value as Promise<unknown>).then(
          () => false,
          () => true,
        );
        if (failed) count++;
      }
      return count;
    };
    let inside = 0;
    let most = 0;
    let entered = 0;
    const order: number[] = [];
    try {
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          lock(name).run(async () => {
            inside += 1;
            entered += 1;
            most = Math.max(most, inside);
            // Stay inside until another contender has been refused since this one entered (while any still wait).
            if (entered < 5) {
              const before = await refusals();
              await waitFor(async () => (await refusals()) > before, {
                timeoutMs: 20_000,
                message: `a contender refused while holder ${i} holds the lock`,
              });
            }
            order.push(i);
            inside -= 1;
          }),
        ),
      );
    } finally {
      refused.mockRestore();
    }
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("renews the lease while the work runs", async () => {
    const renewals = jest.spyOn(BlobLeaseClient.prototype, "renewLease");
    const renewed = async (): Promise<number> => {
      const settled = await Promise.allSettled(
        renewals.mock.results.flatMap((r) => (r.type === "return" ? [r.value as Promise<unknown>] : [])),
      );
      return settled.filter((r) => r.status === "fulfilled").length;
    };
    const name = uniqueName("renew-");
    try {
      await lock(name, { renewEveryMs: 50 }).run(async (guard) => {
        await waitFor(async () => (await renewed()) >= 3, {
          timeoutMs: 20_000,
          message: "three renewals that succeed",
        });
        guard.assertHeld();
        expect(await leaseState(name)).toBe("leased");
      });
    } finally {
      renewals.mockRestore();
    }
    expect(await leaseState(name)).toBe("available");
  });

  it("notices a lost lease at the next step: the work stops with LockLostError", async () => {
    const name = uniqueName("lost-");
    const blob = service().getContainerClient("p2s-locks").getBlobClient(name);
    const renewals = jest.spyOn(BlobLeaseClient.prototype, "renewLease");
    const failedRenewal = async (): Promise<boolean> => {
      const settled = await Promise.allSettled(
        renewals.mock.results.flatMap((r) => (r.type === "return" ? [r.value as Promise<unknown>] : [])),
      );
      return settled.some((r) => r.status === "rejected");
    };
    try {
      await expect(
        lock(name, { renewEveryMs: 50 }).run(async (guard) => {
          // Another party breaks the lease (an operator, or a lease that lapsed while this process stalled).
          await new BlobLeaseClient(blob).breakLease(0);
          await waitFor(failedRenewal, { timeoutMs: 20_000, message: "a renewal refused after the break" });
          guard.assertHeld();
          return "done";
        }),
      ).rejects.toThrow(LockLostError);
    } finally {
      renewals.mockRestore();
    }
  });

  it("a waiter takes the holder's result through poll, without the lock, while the holder still holds it", async () => {
    const name = uniqueName("poll-");
    const inside = gate();
    const leave = gate();
    const shared: { result?: string } = {};
    let holderDone = false;
    const holder = lock(name)
      .run(async () => {
        inside.open();
        await leave.opened;
        return "root";
      })
      .finally(() => {
        holderDone = true;
      });
    await within(inside.opened, { message: "the holder to take the lock" });
    let polls = 0;
    const waiter = lock(name).run(() => Promise.resolve("should not run"), {
      poll: () => {
        polls++;
        return Promise.resolve(shared.result);
      },
    });
    // The waiter was refused and polled with nothing to take; then the holder's result appears.
    await waitFor(() => polls >= 1, { message: "the waiter's first poll" });
    shared.result = "root";
    expect(await within(waiter, { message: "the waiter to take the holder's result" })).toBe("root");
    expect(holderDone).toBe(false);
    expect(await leaseState(name)).toBe("leased");
    leave.open();
    await expect(holder).resolves.toBe("root");
  });

  it("gives up after its wait limit with LockTimeoutError, and frees nothing it does not hold", async () => {
    const name = uniqueName("timeout-");
    const inside = gate();
    const leave = gate();
    const holder = lock(name).run(async () => {
      inside.open();
      await leave.opened;
    });
    await within(inside.opened, { message: "the holder to take the lock" });
    await expect(lock(name, { waitTimeoutMs: 200 }).run(() => Promise.resolve(1))).rejects.toThrow(LockTimeoutError);
    // The holder still holds it.
    expect(await leaseState(name)).toBe("leased");
    leave.open();
    await within(holder, { message: "the holder to leave" });
    // Released by its holder: the next caller gets it at once.
    await expect(lock(name, { waitTimeoutMs: 200 }).run(() => Promise.resolve(2))).resolves.toBe(2);
  });

  it("refuses a lease period Azure does not offer", () => {
    expect(() => lock("x", { leaseSeconds: 90 })).toThrow(/15 to 60 seconds/);
  });
});
