// Ticketing and delivery together, end to end on the sandbox: a signed ticket onboards or reissues, the user collects
// the new certificate (the one-time passphrase, then the one-time link to a PKCS#12 that openssl opens with it), and
// only then does the request end; a reissue revokes the older certificate only after that collection, in the ledger
// and on the gateway as the ARM emulator's GET shows it. A virtual clock moves the durable timers (the delivery waits
// out its download SAS before it cleans up); signatures and links use the wall clock, as the app's HTTP side does.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createVirtualClock } from "../../dev/host/clock";
import type { ManualClock } from "../../dev/host/clock";
import { GatewayClient, parseGatewayId } from "../../src/clients/gateway";
import { getConfig } from "../../src/config";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { postTicket } from "../support/ticket-client";
import type { TicketAnswer } from "../support/ticket-client";
import { httpsRequest } from "../support/emulator-clients";
import { openPkcs12 } from "../support/pkcs12-package";
import { idle } from "../support/wait";

const run = promisify(execFile);
const NEVER = "0 0 0 1 1 *";

let sandbox: TestSandbox;
let clock: ManualClock;
let dir: string;
let caPem: string;

// A sandbox (and a virtual clock) per test: waiting out one delivery's download SAS moves the virtual clock minutes
// past the wall clock the app's HTTP side reads, so a second download in the same sandbox would look long expired.
beforeEach(async () => {
  clock = createVirtualClock(Date.now());
  // The reconciler stays off: the revocation must reach the gateway through the writer the reissue wakes.
  sandbox = await startTestSandbox({ clock, settings: { GATEWAY_RECONCILE_SCHEDULE: NEVER } });
  dir = await mkdtemp(join(tmpdir(), "ticket-delivery-e2e-"));
  caPem = await readFile(sandbox.endpoints.caFile, "utf8");
});

afterEach(async () => {
  await sandbox.stop();
  await rm(dir, { recursive: true, force: true });
});

interface RequestView {
  readonly requestId: string;
  readonly kind: string;
  readonly status: string;
  readonly step: string | null;
  readonly result?: Record<string, unknown>;
  readonly error?: string;
}

interface CertificateView {
  readonly thumbprint: string;
  readonly status: string;
  readonly certificatePem: string | null;
}

interface Credential {
  readonly passphrase: string;
  readonly downloadUrl: string;
  readonly expiresAt: string;
}

/**
 * Checks `predicate` until it holds, moving the virtual clock by `stepMs` between checks (durable timers fire only
 * when it moves); throws naming `message` when it has not held within 60 s of wall time.
 */
async function until<T>(predicate: () => Promise<T | undefined>, message: string, stepMs: number): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await predicate();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after 60 s waiting for ${message}`);
    await clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function viewOf(answer: TicketAnswer): Promise<RequestView> {
  const response = await fetch(String(answer.body.statusUrl), {
    headers: {
      "x-functions-key": sandbox.endpoints.functionKey,
      authorization: `Bearer ${sandbox.endpoints.readerToken}`,
    },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as RequestView;
}

const finished = (view: RequestView): boolean => view.status === "succeeded" || view.status === "failed";

/** The request once it waits for its user to collect the new certificate (failing fast should it end instead). */
async function awaitingCollection(answer: TicketAnswer): Promise<RequestView> {
  const view = await until(
    async () => {
      const current = await viewOf(answer);
      return current.step === "awaiting-collection" || finished(current) ? current : undefined;
    },
    `request ${String(answer.body.requestId)} to await collection`,
    1_000,
  );
  expect(view).toMatchObject({ status: "running", step: "awaiting-collection" });
  return view;
}

/** The request once it has ended; the clock moves in half-minute steps, past the download SAS and its grace. */
async function ended(answer: TicketAnswer): Promise<RequestView> {
  return until(
    async () => {
      const view = await viewOf(answer);
      return finished(view) ? view : undefined;
    },
    `request ${String(answer.body.requestId)} to end`,
    30_000,
  );
}

async function certificatesOf(upn: string): Promise<CertificateView[]> {
  const answer = await sandbox.api("GET", `/api/v1/users/${upn}/certificates`);
  expect(answer.status).toBe(200);
  return answer.body as CertificateView[];
}

async function activeThumbprints(upn: string): Promise<string[]> {
  return (await certificatesOf(upn))
    .filter((c) => c.status === "active")
    .map((c) => c.thumbprint)
    .sort();
}

/** The gateway's revoked thumbprints, read through the ARM emulator with the real SDK (a GET, as an operator would). */
async function revokedOnGateway(): Promise<string[]> {
  const id = sandbox.endpoints.gatewayIds[0] ?? "";
  const { gateway } = await new GatewayClient(getConfig()).read(parseGatewayId(id));
  return (gateway.vpnClientConfiguration?.vpnClientRevokedCertificates ?? []).map((r) => r.thumbprint ?? "");
}

async function rootFile(): Promise<string> {
  const [root] = (await sandbox.api("GET", "/api/v1/roots")).body as { publicCertData: string }[];
  const base64 = root?.publicCertData ?? "";
  const file = join(dir, "root.pem");
  await writeFile(
    file,
    `-----BEGIN CERTIFICATE-----\n${base64.replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`,
  );
  return file;
}

/** `openssl verify -purpose sslclient` of the user's certificate with this thumbprint against /api/v1/roots. */
async function verifiesForClientAuth(upn: string, thumbprint: string): Promise<void> {
  const pem = (await certificatesOf(upn)).find((c) => c.thumbprint === thumbprint)?.certificatePem ?? "";
  expect(pem).toContain("BEGIN CERTIFICATE");
  const file = join(dir, `${thumbprint}.pem`);
  await writeFile(file, pem);
  const root = await rootFile();
  // Asynchronously: the sandbox answers from this process, so a synchronous child would wait on it forever.
  const { stdout } = await run("openssl", ["verify", "-purpose", "sslclient", "-CAfile", root, file]);
  expect(stdout.trim()).toBe(`${file}: OK`);
}

function credentialPath(requestId: string): string {
  return `/api/v1/requests/${requestId}/credential`;
}

/** Reads the credential once with `token` (answered), then again (refused, 410). */
async function readCredentialOnce(requestId: string, token?: string): Promise<Credential> {
  const first = await sandbox.api("GET", credentialPath(requestId), undefined, token);
  expect(first.status).toBe(200);
  const credential = first.body as Credential;
  expect(Object.keys(credential).sort()).toEqual(["downloadUrl", "expiresAt", "passphrase"]);
  expect(credential.passphrase.length).toBeGreaterThanOrEqual(16);
  const second = await sandbox.api("GET", credentialPath(requestId), undefined, token);
  expect(second.status).toBe(410);
  expect(second.text).not.toContain(credential.passphrase);
  return credential;
}

/**
 * Follows the one-time link (a redirect to a read-only https SAS), downloads the PKCS#12, checks that a second use of
 * the link fails, and opens the package with openssl and the passphrase. Returns the leaf certificate's thumbprint,
 * after checking that the package's private key is the certificate's.
 */
async function downloadOnce(credential: Credential, name: string): Promise<string> {
  const first = await fetch(credential.downloadUrl, { redirect: "manual" });
  expect(first.status).toBe(302);
  const location = new URL(first.headers.get("location") ?? "");
  expect(location.protocol).toBe("https:");
  expect(location.searchParams.get("sp")).toBe("r");
  const again = await fetch(credential.downloadUrl, { redirect: "manual" });
  expect(again.status).toBe(410);
  expect(again.headers.get("location")).toBeNull();

  const download = await httpsRequest(location.href, { ca: caPem });
  expect(download.status).toBe(200);
  const file = join(dir, `${name}.p12`);
  await writeFile(file, download.bytes, { mode: 0o600 });
  const opened = await openPkcs12(file, credential.passphrase);
  await expect(openPkcs12(file, `${credential.passphrase}x`)).rejects.toThrow();
  expect(opened.certificate.checkPrivateKey(opened.privateKey)).toBe(true);
  return opened.thumbprint;
}

async function signed(body: Record<string, unknown>): Promise<TicketAnswer> {
  const answer = await postTicket(sandbox, JSON.stringify(body));
  expect(answer.status).toBe(202);
  return answer;
}

/** A certificate issued through the issuance API (no delivery: the user already has it); its thumbprint. */
async function issuedDirectly(upn: string): Promise<string> {
  const answer = await sandbox.api("POST", `/api/v1/users/${upn}/certificates`, { requestId: "INC7100" });
  expect(answer.status).toBe(202);
  const done = await sandbox.waitForInstance(await sandbox.instanceOf(answer.body));
  expect(done.runtimeStatus).toBe("Completed");
  return (done.output as { thumbprint: string }).thumbprint;
}

describe("ticketing with delivery", () => {
  it("a signed onboard: the certificate verifies for client auth, its user reads the passphrase once and downloads once, and the request ends with the delivery in its result", async () => {
    const upn = "olga@contoso.com";
    const answer = await signed({ action: "onboard", upn, ticketId: "INC7001", requestedBy: "helpdesk" });
    const requestId = String(answer.body.requestId);
    const waiting = await awaitingCollection(answer);
    expect(waiting).toMatchObject({ kind: "onboard" });

    const [thumbprint] = await activeThumbprints(upn);
    expect(await activeThumbprints(upn)).toEqual([thumbprint]);
    await verifiesForClientAuth(upn, thumbprint ?? "");

    // The user's own token reads it; the passphrase is answered once, the second read refused.
    const credential = await readCredentialOnce(requestId, await sandbox.identity.controls.userToken(upn));
    const expiresAt = Date.parse(credential.expiresAt);
    expect(expiresAt).toBeGreaterThan(clock.now());
    expect(await downloadOnce(credential, "olga")).toBe(thumbprint);

    const done = await ended(answer);
    expect(done).toMatchObject({ kind: "onboard", status: "succeeded" });
    const result = done.result ?? {};
    expect(result).toMatchObject({ thumbprint, linkExpiresAt: credential.expiresAt, collected: true });
    const certificate = new X509Certificate((await certificatesOf(upn))[0]?.certificatePem ?? "");
    expect(Date.parse(String(result.notAfter))).toBe(Date.parse(certificate.validTo));
    // Over, the credential stays refused and the link stays dead.
    expect((await sandbox.api("GET", credentialPath(requestId))).status).toBe(410);
    expect((await fetch(credential.downloadUrl, { redirect: "manual" })).status).toBe(410);
    expect(await activeThumbprints(upn)).toEqual([thumbprint]);
  });

  it("a signed reissue: the old certificate stays active and off the gateway until the new one is collected, then is revoked there, leaving the new one alone active", async () => {
    const upn = "piet@contoso.com";
    const old = await issuedDirectly(upn);
    expect(await activeThumbprints(upn)).toEqual([old]);

    const answer = await signed({ action: "reissue", upn, ticketId: "INC7102", reason: "new laptop" });
    expect(await awaitingCollection(answer)).toMatchObject({ kind: "reissue" });
    const fresh = (await activeThumbprints(upn)).find((t) => t !== old) ?? "";
    expect(fresh).not.toBe("");
    await verifiesForClientAuth(upn, fresh);

    // While the new certificate is uncollected: both active, neither revoked on the gateway, even once everything
    // the app had to do has been done (the clock moved on and the host gone idle).
    for (let i = 0; i < 5; i += 1) await clock.advance(10_000);
    await idle(sandbox.durable, "the durable backend");
    expect(await activeThumbprints(upn)).toEqual([old, fresh].sort());
    const revokedMeanwhile = await revokedOnGateway();
    expect(revokedMeanwhile).not.toContain(old);
    expect(revokedMeanwhile).not.toContain(fresh);
    expect(await viewOf(answer)).toMatchObject({ status: "running", step: "awaiting-collection" });

    // Collected (by a holder of Certificates.Export, the admin token) and downloaded: the old one goes.
    const credential = await readCredentialOnce(String(answer.body.requestId));
    expect(await downloadOnce(credential, "piet-reissued")).toBe(fresh);
    const done = await ended(answer);
    expect(done).toMatchObject({
      kind: "reissue",
      status: "succeeded",
      result: { thumbprint: fresh, revokedThumbprints: [old], linkExpiresAt: credential.expiresAt },
    });

    const certificates = await certificatesOf(upn);
    expect(certificates.find((c) => c.thumbprint === old)?.status).toBe("revoked");
    expect(await activeThumbprints(upn)).toEqual([fresh]);
    const revoked = await until(
      async () => {
        const list = await revokedOnGateway();
        return list.includes(old) ? list : undefined;
      },
      "the old thumbprint on the gateway's vpnClientRevokedCertificates (the writer's PUT)",
      1_000,
    );
    expect(revoked).not.toContain(fresh);
  });
});
