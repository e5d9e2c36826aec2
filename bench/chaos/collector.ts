// The users of a chaos run collecting their deliveries: every lifecycle request that waits for collection has its
// passphrase read once (the credential endpoint) and its one-time link followed to the PKCS#12, so the request can
// finish. The passphrases are kept, only so the secret scan can look for them where they must not be.
import type { LocalDurableBackend } from "../../dev/durable";
import { LIFECYCLE_INSTANCE_PREFIX } from "../../src/domain/lifecycle";
import { publicRequestId } from "../../src/domain/requests";
import type { SandboxApi } from "./http";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class DeliveryCollector {
  /** Public request ids whose package was downloaded. */
  readonly downloaded = new Set<string>();
  /** Public request ids whose credential could not be had (answered 410 or 404 after a lost answer). */
  readonly lost = new Map<string, string>();
  readonly passphrases: string[] = [];
  /** What the last sweep saw, by answer and step (for the run's progress lines). */
  lastSweep: Record<string, number> = {};
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly api: SandboxApi,
    private readonly durable: LocalDurableBackend,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.sweep();
      await sleep(500);
    }
  }

  /** Collects every delivery that waits for its user now. */
  async sweep(): Promise<void> {
    const waiting = this.durable
      .instanceIds()
      // A lifecycle request's own instance only: its sub-orchestrations (`<id>:delivery`) share the prefix but are no
      // request (GET answers 404 for them).
      .filter((id) => id.startsWith(LIFECYCLE_INSTANCE_PREFIX) && !id.includes(":"))
      .filter((id) => {
        const status = this.durable.inspect(id)?.runtimeStatus;
        return status === "Running" || status === "Pending";
      })
      .map(publicRequestId)
      .filter((requestId) => !this.downloaded.has(requestId) && !this.lost.has(requestId));
    const seen: Record<string, number> = {};
    for (const requestId of waiting) {
      if (this.#stopped) return;
      try {
        const view = await this.api.admin("GET", `/api/v1/requests/${requestId}`);
        const key = `${String(view.status)} ${String(view.json.step)}`;
        seen[key] = (seen[key] ?? 0) + 1;
        this.lastSweep = seen;
        if (view.json.step === "awaiting-collection") await this.collect(requestId);
      } catch (error) {
        this.log(`collector: ${requestId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  async collect(requestId: string): Promise<void> {
    const credential = await this.api.admin("GET", `/api/v1/requests/${requestId}/credential`);
    if (credential.status === 404) return; // not ready yet
    if (credential.status !== 200) {
      if (credential.status === 410) this.lost.set(requestId, "credential answered 410 before it was read");
      else this.log(`collector: credential of ${requestId} answered ${String(credential.status)} ${credential.text}`);
      return;
    }
    const passphrase = credential.json.passphrase;
    const downloadUrl = credential.json.downloadUrl;
    if (typeof passphrase !== "string" || typeof downloadUrl !== "string") {
      this.lost.set(requestId, "credential without passphrase or link");
      return;
    }
    this.passphrases.push(passphrase);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const link = await this.api.anonymous(downloadUrl);
      if (link.status === 302 && link.location !== undefined) {
        const file = await this.api.download(link.location);
        if (file.status === 200 && file.bytes.length > 0) {
          this.downloaded.add(requestId);
          return;
        }
        this.lost.set(requestId, `package download answered ${String(file.status)}`);
        return;
      }
      if (link.status === 410) {
        this.lost.set(requestId, "one-time link answered 410 before it was followed");
        return;
      }
      await sleep(200 * attempt);
    }
    this.lost.set(requestId, "one-time link kept failing");
  }
}
