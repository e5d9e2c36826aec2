// Delivery end to end on the sandbox (the app on the embedded host, the Key Vault emulator, the link storage's HTTPS
// Azurite with --oauth basic, the real SDKs), with a virtual clock for the durable timers: the credential is read once
// (of two parallel reads one wins), the download link redirects once to a read-only https SAS of a PKCS#12 that openssl
// opens with the one-time passphrase, the blob is gone after the SAS's lifetime, an uncollected delivery is cleaned
// up at its expiry, and the passphrase is nowhere it must not be.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVirtualClock } from "../../dev/host/clock";
import type { ManualClock } from "../../dev/host/clock";
import { linkBlobService } from "../../src/clients/blob-links";
import { tableClient } from "../../src/clients/storage";
import { getConfig } from "../../src/config";
import { deliveryBlobName, deliverySecretName } from "../../src/domain/delivery";
import { DELIVER_CERTIFICATE_ORCHESTRATION, deliveryInstanceId } from "../../src/orchestrations/deliver-certificate";
import type { DeliveryOutcome } from "../../src/orchestrations/deliver-certificate";
import { recordedAnswers } from "../support/answer-recorder";
import { httpsRequest } from "../support/emulator-clients";
import { openPkcs12 } from "../support/pkcs12-package";
import { startTestSandbox } from "../support/sandbox";
import type { InstanceStatus, TestSandbox } from "../support/sandbox";

const NEVER = "0 0 0 1 1 *";
const HOUR = 3_600_000;

let sandbox: TestSandbox;
let clock: ManualClock;
let dir: string;
let caPem: string;
/** Every passphrase the tests were given, for the final scan. */
const passphrases: string[] = [];

interface Issued {
  readonly requestId: string;
  readonly certificateName: string;
  readonly thumbprint: string;
  readonly notAfter: string;
}

interface Credential {
  readonly passphrase: string;
  readonly downloadUrl: string;
  readonly expiresAt: string;
}

beforeAll(async () => {
  clock = createVirtualClock(Date.now());
  sandbox = await startTestSandbox({ clock, settings: { GATEWAY_RECONCILE_SCHEDULE: NEVER } });
  dir = await mkdtemp(join(tmpdir(), "delivery-e2e-"));
  caPem = await readFile(sandbox.endpoints.caFile, "utf8");
});

afterAll(async () => {
  await sandbox.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Issues a certificate through the API with `token` (its submitter) and waits for it. */
async function issue(upn: string, token: string): Promise<Issued> {
  const answer = await sandbox.api("POST", `/api/v1/users/${upn}/certificates`, { requestId: "INC-DELIVERY" }, token);
  expect(answer.status).toBe(202);
  const done = await sandbox.waitForInstance(await sandbox.instanceOf(answer.body));
  expect(done.runtimeStatus).toBe("Completed");
  const output = done.output as { certificateName: string; thumbprint: string; notAfter: string };
  return { requestId: (answer.body as { requestId: string }).requestId, ...output };
}

/** Starts the delivery as a parent would (under deliveryInstanceId) and waits until it waits for its user. */
async function deliver(issued: Issued, upn: string): Promise<string> {
  const instanceId = deliveryInstanceId(`test-parent-${issued.requestId}`);
  const url = `${sandbox.endpoints.host}/runtime/webhooks/durabletask/orchestrators/${DELIVER_CERTIFICATE_ORCHESTRATION}/${encodeURIComponent(instanceId)}?code=${sandbox.host.keys.durableTaskKey}`;
  const input = {
    requestId: issued.requestId,
    upn,
    certificateName: issued.certificateName,
    thumbprint: issued.thumbprint,
  };
  const started = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  expect(started.status).toBe(202);
  await waitForStep(instanceId, "awaiting-collection");
  return instanceId;
}

async function waitForStep(instanceId: string, step: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const snapshot = sandbox.durable.inspect(instanceId);
    if ((snapshot?.customStatus as { step?: string } | undefined)?.step === step) return;
    if (snapshot !== undefined && ["Failed", "Completed"].includes(snapshot.runtimeStatus)) {
      throw new Error(
        `delivery ${instanceId} ended (${snapshot.runtimeStatus}) before ${step}: ${JSON.stringify(snapshot.output)}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`delivery ${instanceId} did not reach ${step} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Moves the virtual clock (firing the delivery's timers) until the instance ends. */
async function finish(instanceId: string, stepMs: number): Promise<InstanceStatus> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const snapshot = sandbox.durable.inspect(instanceId);
    if (snapshot !== undefined && ["Completed", "Failed", "Terminated"].includes(snapshot.runtimeStatus)) {
      return { runtimeStatus: snapshot.runtimeStatus, output: snapshot.output, customStatus: snapshot.customStatus };
    }
    if (Date.now() > deadline) throw new Error(`delivery ${instanceId} did not finish within 60 s`);
    await clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function credentialPath(requestId: string): string {
  return `/api/v1/requests/${requestId}/credential`;
}

async function blobExists(requestId: string): Promise<boolean> {
  const service = linkBlobService(getConfig());
  return service.getContainerClient(getConfig().DELIVERY_CONTAINER).getBlobClient(deliveryBlobName(requestId)).exists();
}

describe("certificate delivery", () => {
  it("reads the credential once, downloads once through a read-only https SAS, then removes everything", async () => {
    // The submitter holds Certificates.Issue only: not Export, and not the owner.
    const issuer = sandbox.identity.controls.registerClient({ displayName: "helpdesk", roles: ["Certificates.Issue"] });
    const issuerToken = await sandbox.identity.controls.clientToken(issuer.clientId);
    const issued = await issue("alice@contoso.com", issuerToken);
    const instanceId = await deliver(issued, "alice@contoso.com");
    const secretName = deliverySecretName(issued.requestId);
    expect(sandbox.keyVault.vault.secretNames()).toContain(secretName);
    expect(await blobExists(issued.requestId)).toBe(true);
    const properties = await linkBlobService(getConfig())
      .getContainerClient(getConfig().DELIVERY_CONTAINER)
      .getBlobClient(deliveryBlobName(issued.requestId))
      .getProperties();
    expect(properties.metadata).toEqual({});

    // Neither a reader app, nor another user, nor a call without a token gets anything.
    expect(
      (await sandbox.api("GET", credentialPath(issued.requestId), undefined, sandbox.endpoints.readerToken)).status,
    ).toBe(404);
    const bob = await sandbox.identity.controls.userToken("bob@contoso.com");
    expect((await sandbox.api("GET", credentialPath(issued.requestId), undefined, bob)).status).toBe(404);
    expect((await sandbox.api("GET", credentialPath(issued.requestId), undefined, null)).status).toBe(401);

    // The submitter and the owner read at once: exactly one answer.
    const alice = await sandbox.identity.controls.userToken("alice@contoso.com");
    const reads = await Promise.all([
      sandbox.api("GET", credentialPath(issued.requestId), undefined, issuerToken),
      sandbox.api("GET", credentialPath(issued.requestId), undefined, alice),
    ]);
    expect(reads.map((r) => r.status).sort()).toEqual([200, 410]);
    const winner = reads.find((r) => r.status === 200);
    const credential = winner?.body as Credential;
    passphrases.push(credential.passphrase);
    expect(credential.passphrase).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(winner?.headers.get("cache-control")).toBe("no-store");
    const expiresAt = Date.parse(credential.expiresAt);
    expect(expiresAt - clock.now()).toBeGreaterThan(71 * HOUR);
    expect(expiresAt - clock.now()).toBeLessThanOrEqual(72 * HOUR);
    // A second read, even by a holder of Certificates.Export, is refused.
    const again = await sandbox.api("GET", credentialPath(issued.requestId));
    expect(again.status).toBe(410);
    expect(again.text).toMatch(/already read/);
    // The secret is deleted and purged.
    expect(sandbox.keyVault.vault.secretNames()).not.toContain(secretName);
    expect(sandbox.keyVault.vault.deletedSecretNames()).not.toContain(secretName);

    // The link: once, a redirect to a read-only https SAS of the package that lives a couple of minutes.
    const first = await fetch(credential.downloadUrl, { redirect: "manual" });
    expect(first.status).toBe(302);
    const location = new URL(first.headers.get("location") ?? "");
    expect(location.protocol).toBe("https:");
    expect(location.origin).toBe(new URL(sandbox.endpoints.linkBlobServiceUri).origin);
    expect(location.searchParams.get("sp")).toBe("r");
    expect(location.searchParams.get("spr")).toBe("https");
    expect(location.searchParams.get("skoid")).not.toBeNull();
    const sasExpiry = Date.parse(location.searchParams.get("se") ?? "");
    expect(sasExpiry - Date.now()).toBeLessThanOrEqual(2 * 60_000);
    const second = await fetch(credential.downloadUrl, { redirect: "manual" });
    expect(second.status).toBe(410);
    expect(await second.text()).toMatch(/already used/);

    // The package opens with the one-time passphrase, and not without it.
    const download = await httpsRequest(location.href, { ca: caPem });
    expect(download.status).toBe(200);
    expect(download.headers["content-type"]).toBe("application/x-pkcs12");
    const file = join(dir, "alice.p12");
    await writeFile(file, download.bytes, { mode: 0o600 });
    expect((await openPkcs12(file, credential.passphrase)).thumbprint).toBe(issued.thumbprint);
    await expect(openPkcs12(file, "not-the-passphrase")).rejects.toThrow();
    // The SAS cannot delete the blob.
    expect((await httpsRequest(location.href, { ca: caPem, method: "DELETE" })).status).toBe(403);

    // After the SAS's lifetime the blob is deleted and the delivery ends: collected, downloaded.
    const done = await finish(instanceId, 30_000);
    expect(done.runtimeStatus).toBe("Completed");
    const outcome = done.output as DeliveryOutcome;
    expect(outcome).toEqual({
      collected: true,
      downloaded: true,
      thumbprint: issued.thumbprint,
      notAfter: issued.notAfter,
      linkExpiresAt: credential.expiresAt,
    });
    expect(await blobExists(issued.requestId)).toBe(false);
    expect((await httpsRequest(location.href, { ca: caPem })).status).toBe(404);
  });

  it("expires an uncollected delivery: secret and blob removed, collected=false, the credential refused", async () => {
    const issued = await issue("carol@contoso.com", sandbox.endpoints.adminToken);
    const instanceId = await deliver(issued, "carol@contoso.com");
    const snapshot = sandbox.durable.inspect(instanceId);
    const linkExpiresAt = (snapshot?.customStatus as { linkExpiresAt: string }).linkExpiresAt;

    const done = await finish(instanceId, 12 * HOUR);
    expect(done.output).toMatchObject({
      collected: false,
      downloaded: false,
      thumbprint: issued.thumbprint,
      linkExpiresAt,
    });
    expect((done.output as DeliveryOutcome).reason).toMatch(/not collected/);
    const secretName = deliverySecretName(issued.requestId);
    expect(sandbox.keyVault.vault.secretNames()).not.toContain(secretName);
    expect(sandbox.keyVault.vault.deletedSecretNames()).not.toContain(secretName);
    expect(await blobExists(issued.requestId)).toBe(false);
    const late = await sandbox.api("GET", credentialPath(issued.requestId));
    expect(late.status).toBe(410);
  });

  it("expires a collected but undownloaded delivery: the download link is refused afterwards", async () => {
    const issued = await issue("dave@contoso.com", sandbox.endpoints.adminToken);
    const instanceId = await deliver(issued, "dave@contoso.com");
    // The owner's own token may read it.
    const dave = await sandbox.identity.controls.userToken("dave@contoso.com");
    const read = await sandbox.api("GET", credentialPath(issued.requestId), undefined, dave);
    expect(read.status).toBe(200);
    const credential = read.body as Credential;
    passphrases.push(credential.passphrase);
    await waitForStep(instanceId, "awaiting-download");

    const done = await finish(instanceId, 12 * HOUR);
    expect(done.output).toMatchObject({ collected: true, downloaded: false });
    expect(await blobExists(issued.requestId)).toBe(false);
    const link = await fetch(credential.downloadUrl, { redirect: "manual" });
    expect(link.status).toBe(410);
    // A forged token is not even told the delivery exists.
    const forged = new URL(credential.downloadUrl);
    forged.searchParams.set("token", "A".repeat(43));
    expect((await fetch(forged, { redirect: "manual" })).status).toBe(404);
  });

  it("refuses the credential of a certificate revoked while it waited, and a delivery of one already revoked", async () => {
    const issued = await issue("erin@contoso.com", sandbox.endpoints.adminToken);
    const instanceId = await deliver(issued, "erin@contoso.com");
    const revoke = await sandbox.api("POST", "/api/v1/users/erin@contoso.com/revocations", {
      requestId: "LEAVER-ERIN",
      reason: "left",
    });
    expect(revoke.status).toBe(202);
    expect((await sandbox.waitForInstance(await sandbox.instanceOf(revoke.body))).runtimeStatus).toBe("Completed");
    const read = await sandbox.api("GET", credentialPath(issued.requestId));
    expect(read.status).toBe(410);
    expect(read.text).toMatch(/revoked/);
    expect(sandbox.durable.inspect(instanceId)?.runtimeStatus).toBe("Running");

    // A new delivery of the revoked certificate fails, leaving no secret or blob behind.
    const again = await fetch(
      `${sandbox.endpoints.host}/runtime/webhooks/durabletask/orchestrators/${DELIVER_CERTIFICATE_ORCHESTRATION}/revoked-redelivery?code=${sandbox.host.keys.durableTaskKey}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...issued, requestId: "fedcba9876543210fedcba9876543210", upn: "erin@contoso.com" }),
      },
    );
    expect(again.status).toBe(202);
    const failed = await finish("revoked-redelivery", 60_000);
    expect(failed.runtimeStatus).toBe("Failed");
    expect(String(failed.output)).toMatch(/is revoked/);
    expect(sandbox.keyVault.vault.secretNames()).not.toContain(deliverySecretName("fedcba9876543210fedcba9876543210"));
    expect(await blobExists("fedcba9876543210fedcba9876543210")).toBe(false);
  });

  it("keeps every passphrase out of durable history, logs, the ledger and blob metadata", async () => {
    expect(passphrases.length).toBeGreaterThanOrEqual(2);
    const config = getConfig();
    const places: [string, string][] = [["host log", sandbox.logs.join("\n")]];
    for (const id of sandbox.durable.instanceIds()) {
      places.push([`durable instance ${id}`, JSON.stringify(sandbox.durable.inspect(id))]);
    }
    for (const table of ["Audit", "Deliveries", "Requests", "Certificates"]) {
      const client = tableClient(config, `${config.LEDGER_TABLE_PREFIX}${table}`);
      const entities: unknown[] = [];
      for await (const entity of client.listEntities()) entities.push(entity);
      expect(entities.length).toBeGreaterThan(0);
      places.push([`table ${table}`, JSON.stringify(entities)]);
    }
    const answers = recordedAnswers().filter((a) => !a.url.includes("/credential"));
    places.push(["other API answers", JSON.stringify(answers)]);
    for (const passphrase of passphrases) {
      for (const [where, text] of places)
        expect({ where, leaked: text.includes(passphrase) }).toEqual({ where, leaked: false });
    }
  });
});
