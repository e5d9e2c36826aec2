// A distributed lock on a blob lease in the app's storage account (AzureWebJobsStorage): one holder at a time across
// every app instance. The lease is taken for a fixed period, renewed while the work runs and released after; if the
// holder dies, the lease lapses on its own. Waiters retry with jitter until the lock is free or a deadline passes.
// Blob leases last 15 to 60 seconds (or forever, which a crashed holder would never give back).
import type { BlobLeaseClient, BlobServiceClient, BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import type { Config } from "../config";
import { blobServiceClient } from "./storage";

/** Lets the holder check, before each step that changes something, that the lock is still its own. */
export interface LockGuard {
  /** Throws LockLostError when a renewal failed or the lease may have lapsed. */
  assertHeld(): void;
}

export class LockLostError extends Error {
  override readonly name = "LockLostError";
}

export class LockTimeoutError extends Error {
  override readonly name = "LockTimeoutError";
}

export interface BlobLeaseLockOptions {
  /** Lease period, 15 to 60 seconds; default 60. */
  readonly leaseSeconds?: number;
  /** How often the holder renews; default a third of the lease period. */
  readonly renewEveryMs?: number;
  /** Pause between a waiter's attempts (jittered ±50 %); default 1 s. */
  readonly retryDelayMs?: number;
  /** How long a waiter tries before giving up with LockTimeoutError; default 5 minutes. */
  readonly waitTimeoutMs?: number;
}

/** The container of the app's locks. */
export const LOCK_CONTAINER = "p2s-locks";

/** A margin under the lease period after which the holder no longer trusts an unconfirmed lease. */
const SAFETY_MS = 5_000;

interface StatusError {
  readonly statusCode?: number;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as StatusError).statusCode;
  return typeof status === "number" ? status : undefined;
}

export class BlobLeaseLock {
  private readonly leaseSeconds: number;
  private readonly renewEveryMs: number;
  private readonly retryDelayMs: number;
  private readonly waitTimeoutMs: number;

  private readonly blob: BlockBlobClient;

  constructor(
    private readonly container: ContainerClient,
    blobName: string,
    options: BlobLeaseLockOptions = {},
  ) {
    this.blob = container.getBlockBlobClient(blobName);
    this.leaseSeconds = options.leaseSeconds ?? 60;
    if (!Number.isInteger(this.leaseSeconds) || this.leaseSeconds < 15 || this.leaseSeconds > 60) {
      throw new Error("a blob lease lasts 15 to 60 seconds");
    }
    this.renewEveryMs = options.renewEveryMs ?? Math.floor((this.leaseSeconds * 1000) / 3);
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 5 * 60_000;
  }

  /** The lock over one blob of the lock container. */
  static inService(service: BlobServiceClient, blobName: string, options: BlobLeaseLockOptions = {}): BlobLeaseLock {
    return new BlobLeaseLock(service.getContainerClient(LOCK_CONTAINER), blobName, options);
  }

  /**
   * Runs `work` while holding the lock. A waiter calls `poll` between attempts: when it yields a value (the holder's
   * result, say), that value is returned without taking the lock.
   */
  async run<T>(
    work: (guard: LockGuard) => Promise<T>,
    options: { readonly poll?: () => Promise<T | undefined> } = {},
  ): Promise<T> {
    const deadline = Date.now() + this.waitTimeoutMs;
    await this.ensureBlob();
    for (;;) {
      const lease = this.blob.getBlobLeaseClient();
      if (await this.tryAcquire(lease)) return this.hold(lease, work);
      const ready = await options.poll?.();
      if (ready !== undefined) return ready;
      if (Date.now() > deadline) {
        throw new LockTimeoutError(
          `lock ${this.blob.name} still held by another instance after ${this.waitTimeoutMs} ms`,
        );
      }
      await sleep(this.retryDelayMs * (0.5 + Math.random()));
    }
  }

  private async tryAcquire(lease: BlobLeaseClient): Promise<boolean> {
    try {
      await lease.acquireLease(this.leaseSeconds);
      return true;
    } catch (error) {
      // 409 LeaseAlreadyPresent: someone holds it. 404: the blob went away; it is made again on the next turn.
      const status = statusOf(error);
      if (status === 409) return false;
      if (status === 404) {
        await this.ensureBlob();
        return false;
      }
      throw error;
    }
  }

  private async hold<T>(lease: BlobLeaseClient, work: (guard: LockGuard) => Promise<T>): Promise<T> {
    let heldUntil = Date.now() + this.leaseSeconds * 1000 - SAFETY_MS;
    let lost: unknown;
    const timer = setInterval(() => {
      const asked = Date.now();
      lease.renewLease().then(
        () => {
          heldUntil = Math.max(heldUntil, asked + this.leaseSeconds * 1000 - SAFETY_MS);
        },
        (error: unknown) => {
          lost ??= error;
        },
      );
    }, this.renewEveryMs);
    timer.unref();
    const guard: LockGuard = {
      assertHeld: () => {
        if (lost !== undefined) {
          const reason = lost instanceof Error ? (lost.message.split("\n")[0] ?? "") : "unknown error";
          throw new LockLostError(`lock ${this.blob.name} was lost: its renewal failed (${reason})`);
        }
        if (Date.now() > heldUntil) throw new LockLostError(`lock ${this.blob.name} may have lapsed (not renewed)`);
      },
    };
    try {
      return await work(guard);
    } finally {
      clearInterval(timer);
      // A release that fails leaves the lease to lapse within its period.
      await lease.releaseLease().catch(() => undefined);
    }
  }

  /** The lock blob exists (an empty block blob), whoever made it. */
  private async ensureBlob(): Promise<void> {
    await this.container.createIfNotExists();
    try {
      await this.blob.upload("", 0, { conditions: { ifNoneMatch: "*" } });
    } catch (error) {
      // 409 BlobAlreadyExists, 412 condition not met or a lease on it: it exists.
      const status = statusOf(error);
      if (status !== 409 && status !== 412) throw error;
    }
  }
}

/**
 * The lock that serialises the root CA bootstrap: one blob per vault and root name, so apps (or test sandboxes)
 * sharing a storage account with their own vaults do not wait on each other.
 */
export function rootBootstrapLock(
  config: Parameters<typeof blobServiceClient>[0] & Pick<Config, "KEY_VAULT_URL" | "CA_ROOT_NAME">,
  options: BlobLeaseLockOptions = {},
): BlobLeaseLock {
  const vault = new URL(config.KEY_VAULT_URL).host.toLowerCase().replace(/[^a-z0-9.-]/g, "-");
  return BlobLeaseLock.inService(blobServiceClient(config), `root-bootstrap/${vault}/${config.CA_ROOT_NAME}`, options);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
