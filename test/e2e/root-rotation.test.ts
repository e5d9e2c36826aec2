// Acceptance of issue 14's root rotation, end to end through the sandbox on two gateways: a rotation runs to the end,
// and at every step each gateway (read through the ARM emulator with the real SDK) trusts a root under which every
// active user holds a certificate that `openssl verify` accepts; after it the old root and the revocations it issued
// are gone from both gateways, and a certificate of the old root verifies against no root left on them.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JumpClock } from "../../bench/chaos/jump-clock";
import { GatewayClient, parseGatewayId } from "../../src/clients/gateway";
import { keyVaultClients } from "../../src/clients/keyvault";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { thumbprintOf } from "../../src/domain/thumbprint";
import { certificatePem, numberedFiles } from "../support/certificate-files";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { waitFor } from "../support/wait";

let sandbox: TestSandbox;
let dir: string;
let file: (text: string) => string;

const ACTIVE_USERS = ["ana@contoso.com", "ben@contoso.com", "cy@contoso.com"];
const LEAVER = "dee@contoso.com";
/** ROOT_ROTATION_GRACE_DAYS below, in ms (26 s): the host clock jumps past it once the rotation waits it out. */
const GRACE_MS = 0.0003 * 86_400_000;
// The wall clock, which the test moves past the grace period instead of waiting it out.
const clockErrors: unknown[] = [];
const clock = new JumpClock((error) => clockErrors.push(error));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "p2s-rotation-"));
  file = numberedFiles(dir);
  sandbox = await startTestSandbox({
    gateways: 2,
    clock,
    settings: {
      // Small batches (two pages of users), fast polls, and a grace period of 26 seconds: the users never collect (the
      // clock jumps past it).
      ROOT_ROTATION_BATCH_SIZE: "2",
      ROOT_ROTATION_POLL_SECONDS: "1",
      ROOT_ROTATION_COLLECTION_CHECK_MINUTES: "0.02",
      ROOT_ROTATION_GRACE_DAYS: String(GRACE_MS / 86_400_000),
    },
  });
});

afterAll(async () => {
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});

function openssl(...args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync("openssl", args, { stdio: "pipe" }).toString() };
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, out: `${e.stdout?.toString() ?? ""}${e.stderr?.toString() ?? ""}` };
  }
}

interface GatewayView {
  readonly name: string;
  /** Thumbprints of its roots. */
  readonly roots: readonly string[];
  /** Its roots as one PEM file (what `openssl verify -CAfile` takes). */
  readonly rootsFile: string;
  readonly revoked: readonly string[];
}

/** A gateway as a GET through the ARM emulator answers it (the app's own SDK client). */
async function readGateway(gatewayId: string): Promise<GatewayView> {
  const snapshot = await new GatewayClient(getConfig()).read(parseGatewayId(gatewayId));
  const ders = snapshot.state.roots.map((r) => Buffer.from(r.publicCertData, "base64"));
  return {
    name: parseGatewayId(gatewayId).name,
    roots: ders.map((d) => thumbprintOf(d)),
    rootsFile: file(ders.map((d) => certificatePem(d)).join("")),
    revoked: snapshot.state.revoked.map((r) => r.thumbprint.toUpperCase()),
  };
}

const certificateFiles = new Map<string, string>();
/** A certificate Key Vault holds, as a PEM file (read once: a certificate never changes). */
async function certificateFile(name: string): Promise<string> {
  const known = certificateFiles.get(name);
  if (known !== undefined) return known;
  const { cer } = await keyVaultClients(getConfig()).certificates.getCertificate(name);
  if (cer === undefined) throw new Error(`Key Vault returned no certificate for ${name}`);
  const path = file(certificatePem(cer));
  certificateFiles.set(name, path);
  return path;
}

// One `openssl verify` per certificate and set of roots: the answer for the same pair never changes within the test,
// and the invariant is checked on every poll of the rotation.
const verified = new Map<string, boolean>();
function verifies(certificate: string, gateway: GatewayView): boolean {
  const key = `${certificate} ${[...gateway.roots].sort().join(",")}`;
  const known = verified.get(key);
  if (known !== undefined) return known;
  const ok = openssl("verify", "-purpose", "sslclient", "-CAfile", gateway.rootsFile, certificate).ok;
  verified.set(key, ok);
  return ok;
}

/** The users' active certificates now, as the ledger has them. */
async function activeCertificates(upn: string): Promise<string[]> {
  const records = await Ledger.fromConfig(getConfig()).listUserCertificates(upn);
  return records.filter((r) => r.status === "active").map((r) => r.certificateName);
}

/**
 * The invariant of every step: on every gateway, every active user has an active certificate that verifies against
 * the roots the gateway trusts. Answers what breaks it, or nothing.
 */
async function invariantBreaks(): Promise<string[]> {
  const breaks: string[] = [];
  const gateways = await Promise.all(sandbox.endpoints.gatewayIds.map(readGateway));
  for (const upn of ACTIVE_USERS) {
    const names = await activeCertificates(upn);
    const files = await Promise.all(names.map(certificateFile));
    for (const gateway of gateways) {
      if (!files.some((f) => verifies(f, gateway))) {
        breaks.push(`${upn} has no certificate (of ${String(names.length)}) that ${gateway.name} trusts`);
      }
    }
  }
  return breaks;
}

async function issue(upn: string, requestId: string): Promise<string> {
  const posted = await sandbox.api("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, { requestId });
  expect(posted.status).toBe(202);
  const done = await sandbox.waitForInstance(await sandbox.instanceOf(posted.body), 60_000);
  expect(done.runtimeStatus).toBe("Completed");
  return (done.output as { thumbprint: string }).thumbprint;
}

it("rotates the root on two gateways: every step keeps every active user connected; the old root and its revocations end gone", async () => {
  const [gw1, gw2] = sandbox.endpoints.gatewayIds;
  if (gw1 === undefined || gw2 === undefined) throw new Error("the sandbox has not two gateways");

  // Before: three active users and a leaver whose certificate is revoked on both gateways, all of the first root.
  for (const [i, upn] of ACTIVE_USERS.entries()) await issue(upn, `ROT-${String(i)}`);
  const leaverThumbprint = await issue(LEAVER, "ROT-leaver");
  const revoked = await sandbox.api("POST", `/api/v1/users/${encodeURIComponent(LEAVER)}/revocations`, {
    requestId: "ROT-leaver-off",
    reason: "left",
  });
  expect(revoked.status).toBe(202);
  await waitFor(
    async () => (await Promise.all([gw1, gw2].map(readGateway))).every((g) => g.revoked.includes(leaverThumbprint)),
    { message: "the leaver's revocation on both gateways", timeoutMs: 60_000, intervalMs: 100 },
  );
  const before = await readGateway(gw1);
  expect(before.roots).toHaveLength(1);
  const oldRoot = before.roots[0] ?? "";
  const oldCertificate = await certificateFile((await activeCertificates(ACTIVE_USERS[0] ?? ""))[0] ?? "");
  expect(await invariantBreaks()).toEqual([]);

  // The rotation, followed through its request while the invariant is checked over and over.
  const started = await sandbox.api("POST", "/api/v1/roots/rotations", { reason: "acceptance: yearly rotation" });
  expect(started.status).toBe(202);
  const { statusUrl } = started.body as { statusUrl: string };
  const checkedAt = new Set<string>();
  const breaks: string[] = [];
  let last = "";
  let jumped = false;
  const view = await waitFor(
    async () => {
      const got = await sandbox.api("GET", new URL(statusUrl).pathname);
      const body = got.body as { status: string; step: string | null; result?: { newRootThumbprint?: string } };
      const found = await invariantBreaks();
      breaks.push(...found.map((b) => `${body.step ?? "?"}: ${b}`));
      if (body.step !== null) checkedAt.add(body.step);
      // The invariant held while the rotation waits for the users (checked just above): on past the grace period.
      if (body.step === "awaiting-collection" && !jumped) {
        jumped = true;
        clock.jump(GRACE_MS + 1000);
      }
      last = JSON.stringify(body);
      return body.status === "running" || body.status === "pending" ? undefined : body;
    },
    { message: "the rotation to end", timeoutMs: 200_000, intervalMs: 50 },
  ).catch(async (error: unknown) => {
    const roots = (await Promise.all([gw1, gw2].map(readGateway))).map((g) => `${g.name}: ${g.roots.join(",")}`);
    const errors = sandbox.logs.filter((l) => /error|fail/i.test(l)).slice(-5);
    throw new Error(`${String(error)}; the request was last ${last}; roots ${roots.join("; ")}; ${errors.join("\n")}`);
  });
  expect(breaks).toEqual([]);
  expect(view).toMatchObject({
    kind: "rotation",
    status: "succeeded",
    step: "done",
    result: { status: "completed", reissued: ACTIVE_USERS.length, oldRootThumbprint: oldRoot },
  });
  // The invariant was checked inside the long steps (the quick ones are in the audit, in order).
  for (const step of ["adding-root-to-gateways", "reissuing", "awaiting-collection", "pruning-revocations"]) {
    expect([step, checkedAt.has(step)]).toEqual([step, true]);
  }
  const requestId = (started.body as { requestId: string }).requestId;
  const audited = (await Ledger.fromConfig(getConfig()).listAudit("root"))
    .filter((a) => a.requestId === requestId && a.action === "rotation.step")
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((a) => a.details?.step);
  expect(audited).toEqual([
    "creating-root",
    "adding-root-to-gateways",
    "regenerating-profiles",
    "switching-signing-root",
    "reissuing",
    "awaiting-collection",
    "retiring-old-root",
    "pruning-revocations",
  ]);

  // After: on both gateways only the new root; the leaver's revocation pruned; the old root's certificate trusted by
  // no root left; every active user's new certificate verifies.
  const newRoot = view.result?.newRootThumbprint;
  for (const gatewayId of [gw1, gw2]) {
    const after = await readGateway(gatewayId);
    expect([after.name, after.roots]).toEqual([after.name, [newRoot]]);
    expect([after.name, after.revoked.includes(leaverThumbprint)]).toEqual([after.name, false]);
    expect([after.name, verifies(oldCertificate, after)]).toEqual([after.name, false]);
  }
  expect(await invariantBreaks()).toEqual([]);
  expect(clockErrors).toEqual([]);
}, 300_000);
