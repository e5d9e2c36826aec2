// "A retry or a replay never creates a second certificate", for the first step of issuance run twice, as the durable
// backend's at-least-once delivery runs it: a second execution of beginClientCertificate that overlaps the first
// execution's merge. Time is held by hand (the app's 429 backoff, the emulator's injected latency), so each race is
// played in the same order on every run: no wall-clock luck.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulatorCa, createVirtualClock } from "../../../dev/emulators/framework";
import { startKeyVaultEmulator } from "../../../dev/emulators/keyvault";
import type { KeyVaultEmulator } from "../../../dev/emulators/keyvault";
import {
  beginClientCertificate,
  completeClientCertificate,
  ensureRootCa,
  signClientCertificate,
} from "../../../src/clients/key-vault-ca";
import type { ClientCertificateView, RootCa } from "../../../src/clients/key-vault-ca";
import { createKeyVaultClients } from "../../../src/clients/keyvault";
import type { KeyVaultClients } from "../../../src/clients/keyvault";
import { parseConfig } from "../../../src/config";
import type { Config } from "../../../src/config";
import { assertUpn, keyVaultCertificateName, upnKey } from "../../../src/domain/upn";

/** A clock whose sleeps, while held, wait until released: the test decides when a sleeper goes on. */
class HeldClock {
  #now = Date.now();
  #held = false;
  #sleepers: (() => void)[] = [];

  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    this.#now += Math.max(0, ms);
    if (!this.#held) return Promise.resolve();
    return new Promise((resolve) => this.#sleepers.push(resolve));
  }

  hold(): void {
    this.#held = true;
  }

  get sleeping(): number {
    return this.#sleepers.length;
  }

  release(): void {
    this.#held = false;
    for (const wake of this.#sleepers.splice(0)) wake();
  }
}

let dir: string;
let vault: KeyVaultEmulator;
let env: Record<string, string>;
let config: Config;
let root: RootCa;
const vaultClock = new HeldClock();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "p2s-kv-redelivery-"));
  const ca = await createEmulatorCa();
  const caFile = join(dir, "ca.pem");
  await ca.writeCertPem(caFile);
  vault = await startKeyVaultEmulator({ ca, throttle: false, clock: vaultClock });
  env = {
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    // Each execution here has a virtual clock of its own: pace per instance (no storage).
    KEY_VAULT_CREATE_PACING: "instance",
    KEY_VAULT_URL: vault.url,
    ARM_ENDPOINT: "https://127.0.0.1:9",
    GRAPH_ENDPOINT: "https://127.0.0.1:9",
    P2S_CREDENTIAL: "localEmulator",
    P2S_TRUSTED_CA_FILE: caFile,
    CA_ROOT_KEY_SIZE: "2048",
    // No API call here: no access tokens to validate.
    API_TOKENS_REQUIRED: "false",
  };
  config = parseConfig(env);
  root = await ensureRootCa(createKeyVaultClients(config, { clock: createVirtualClock() }), config, new Date());
});

afterAll(async () => {
  vaultClock.release();
  await vault.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vaultClock.release();
  vault.faults.clear();
});

/** One execution's clients (each activity execution of an app instance; a clock of its own). */
function execution(clock: { now(): number; sleep(ms: number): Promise<void> } = createVirtualClock()): KeyVaultClients {
  return createKeyVaultClients(config, { clock });
}

function request(label: string): { upn: ReturnType<typeof assertUpn>; requestId: string; name: string } {
  const upn = assertUpn(`${label}@contoso.com`);
  const requestId = `RED-${label}`;
  return { upn, requestId, name: keyVaultCertificateName(upn, requestId) };
}

function begin(kv: KeyVaultClients, r: ReturnType<typeof request>): ReturnType<typeof beginClientCertificate> {
  return beginClientCertificate(kv, config, r.name, r.upn, {
    upn: upnKey(r.upn),
    requestId: r.requestId,
    rootThumbprint: root.thumbprint,
  });
}

/** Sign and merge, as the orchestration's next activities do with the first execution's answer. */
async function finish(
  kv: KeyVaultClients,
  r: ReturnType<typeof request>,
  csrBase64: string,
): Promise<ClientCertificateView> {
  const der = await signClientCertificate(kv, config, root, csrBase64, r.upn, new Date());
  return completeClientCertificate(kv, r.name, der, root);
}

/** Every version of `name` in the vault, and whether an operation is still in progress on it. */
async function vaultState(
  kv: KeyVaultClients,
  name: string,
): Promise<{ versions: number; issued: number; inProgress: boolean }> {
  let versions = 0;
  let issued = 0;
  for await (const properties of kv.certificates.listPropertiesOfCertificateVersions(name)) {
    versions += 1;
    const cert = await kv.certificates.getCertificateVersion(name, properties.version ?? "");
    if (cert.cer !== undefined && cert.cer.length > 0) issued += 1;
  }
  let inProgress = false;
  try {
    const poller = await kv.certificates.getCertificateOperation(name);
    inProgress = poller.getOperationState().certificateOperation?.status === "inProgress";
  } catch {
    inProgress = false;
  }
  return { versions, issued, inProgress };
}

function sha1(der: Buffer | undefined): string {
  return createHash("sha1")
    .update(der ?? Buffer.alloc(0))
    .digest("hex")
    .toUpperCase();
}

function createsAccepted(): number {
  return vault.stats.operation("certificates.create").byStatus["202"] ?? 0;
}

/** Waits until `ready()` holds, turning the event loop; fails with `what` after a deadline. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  return { promise: tracked, settled: () => settled };
}

describe("a re-delivered beginCertificate", () => {
  it("whose create is throttled until after the merge makes no second version of the issued certificate", async () => {
    const r = request("throttled.redelivery");
    const before = createsAccepted();
    const first = await begin(execution(), r);
    if (first.state !== "pending") throw new Error("the first execution should have started the certificate");

    // The re-delivered execution runs while the certificate is pending; the vault throttles its next create, and
    // its backoff is held until the orchestration has signed and merged with the first execution's CSR.
    vault.faults.add({ operation: "certificates.create", status: 429, code: "Throttled", count: 1 });
    const appClock = new HeldClock();
    appClock.hold();
    const again = track(begin(execution(appClock), r));
    await until(() => appClock.sleeping > 0 || again.settled(), "the second execution to sleep or answer");
    const view = await finish(execution(), r, first.csrBase64);
    appClock.release();
    const second = await again.promise;

    // The second answer is dropped by the orchestration; whatever it is, it names no new key.
    if (second.state === "pending") expect(second.csrBase64).toBe(first.csrBase64);
    else expect(second.certificate.thumbprint).toBe(view.thumbprint);
    expect(createsAccepted() - before).toBe(1);
    expect(await vaultState(execution(), r.name)).toEqual({ versions: 1, issued: 1, inProgress: false });
    expect(sha1(vault.vault.describe(r.name).chain[0])).toBe(view.thumbprint);
  });

  it("run again after the merge returns the issued certificate and creates nothing", async () => {
    const r = request("late.redelivery");
    const first = await begin(execution(), r);
    if (first.state !== "pending") throw new Error("the first execution should have started the certificate");
    const view = await finish(execution(), r, first.csrBase64);
    const before = createsAccepted();
    const again = await begin(execution(), r);
    expect(again).toEqual({ state: "issued", certificate: view });
    expect(createsAccepted()).toBe(before);
  });
});

describe("two executions at once", () => {
  it("when the second's create reaches the vault after the first's merge, its operation is discarded", async () => {
    const r = request("inflight.redelivery");
    // The second execution reads an empty vault and sends its create, which the network holds (injected latency on
    // a held vault clock) while the first execution creates, and the orchestration signs and merges.
    vault.faults.add({ operation: "certificates.create", latencyMs: 5_000, count: 1 });
    vaultClock.hold();
    const second = track(begin(execution(), r));
    await until(() => vaultClock.sleeping > 0, "the second execution's create to be in flight");
    const first = await begin(execution(), r);
    if (first.state !== "pending") throw new Error("the first execution should have started the certificate");
    const view = await finish(execution(), r, first.csrBase64);
    vaultClock.release();
    const late = await second.promise;

    // Key Vault has no conditional create, so the late create did start a version; it is discarded at once and the
    // request's certificate stays the one issued: nothing pending is left, and the answer names that certificate.
    expect(late).toEqual({ state: "issued", certificate: view });
    const state = await vaultState(execution(), r.name);
    expect(state).toMatchObject({ issued: 1, inProgress: false });
    expect(vault.vault.describe(r.name).pending).toBe(false);
  });
});
