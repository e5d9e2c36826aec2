// An issuance that read the old root just before a rotation promoted the new one, and finishes after the rotation has
// begun listing the users to reissue: found by the chaos run (seed 7), where such a user ended holding only a
// certificate of the retired root. The issuance is held at its Key Vault merge (a latency that lasts until the test
// releases it) while the rotation promotes its root, so the order is fixed, not left to timing. The rotation must wait
// for it and reissue its user; at the end the user holds a certificate the gateway trusts (`openssl verify`).
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
import { certificatePem, numberedFiles } from "../support/certificate-files";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { SteerableClock } from "../support/steerable-clock";
import { waitFor, within } from "../support/wait";

const keyVaultClock = new SteerableClock();
const clockErrors: unknown[] = [];
const clock = new JumpClock((error) => clockErrors.push(error));
/** ROOT_ROTATION_GRACE_DAYS below, in ms (26 s): the clock jumps past it once the rotation waits it out. */
const GRACE_MS = 0.0003 * 86_400_000;
let sandbox: TestSandbox;
let dir: string;
let file: (text: string) => string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "p2s-rotation-race-"));
  file = numberedFiles(dir);
  sandbox = await startTestSandbox({
    keyVaultClock,
    clock,
    settings: {
      ROOT_ROTATION_POLL_SECONDS: "1",
      ROOT_ROTATION_COLLECTION_CHECK_MINUTES: "0.02",
      ROOT_ROTATION_GRACE_DAYS: String(GRACE_MS / 86_400_000),
    },
  });
});

afterAll(async () => {
  keyVaultClock.releaseAll();
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether `openssl verify` accepts one of the user's active certificates against the roots the gateway holds. */
async function trustedByGateway(upn: string): Promise<{ trusted: boolean; active: number }> {
  const gatewayId = parseGatewayId(sandbox.endpoints.gatewayIds[0] ?? "");
  const roots = (await new GatewayClient(getConfig()).read(gatewayId)).state.roots;
  const rootsFile = file(roots.map((r) => certificatePem(Buffer.from(r.publicCertData, "base64"))).join(""));
  const records = (await Ledger.fromConfig(getConfig()).listUserCertificates(upn)).filter((r) => r.status === "active");
  let trusted = false;
  for (const record of records) {
    const { cer } = await keyVaultClients(getConfig()).certificates.getCertificate(record.certificateName);
    if (cer === undefined) throw new Error(`Key Vault has no certificate ${record.certificateName}`);
    try {
      execFileSync("openssl", ["verify", "-purpose", "sslclient", "-CAfile", rootsFile, file(certificatePem(cer))], {
        stdio: "pipe",
      });
      trusted = true;
    } catch {
      // Not this one.
    }
  }
  return { trusted, active: records.length };
}

interface RotationStatus {
  readonly step?: string;
  readonly awaitingIssuances?: number;
}

it("waits for an issuance that read the old root before the promotion, then reissues its user before retiring the old root", async () => {
  // The merge of hal's certificate (signed by the first root) is held in flight.
  const held = keyVaultClock.holdNextSleep();
  sandbox.keyVault.faults.add({ operation: "certificates.merge", latencyMs: 1, count: 1 });
  const issue = await sandbox.api("POST", "/api/v1/users/hal@contoso.com/certificates", { requestId: "RACE-1" });
  expect(issue.status).toBe(202);
  await within(held.reached, { message: "hal's merge to reach Key Vault" });

  const started = await sandbox.api("POST", "/api/v1/roots/rotations", { reason: "rotation across an issuance" });
  expect(started.status).toBe(202);
  const path = new URL((started.body as { statusUrl: string }).statusUrl).pathname;
  const read = async (): Promise<{ status: string; step: string | null }> =>
    (await sandbox.api("GET", path)).body as { status: string; step: string | null };
  const instanceId = await sandbox.instanceOf(started.body);
  // The rotation's custom status, as the durable status API shows it: the request view shows only its step.
  const custom = (): RotationStatus => sandbox.durable.inspect(instanceId)?.customStatus ?? {};

  // The rotation promotes its root and then waits for hal's issuance; a rotation that does not wait lists its users
  // and moves on to awaiting the collection.
  const seen = await waitFor(
    async () => {
      const now = custom();
      const waiting = now.step === "reissuing" && (now.awaitingIssuances ?? 0) > 0;
      const past = now.step === "awaiting-collection" || (await read()).status !== "running";
      return waiting || past ? now : undefined;
    },
    { message: "the rotation past its promotion", timeoutMs: 90_000, intervalMs: 50 },
  );
  held.release();
  expect(await sandbox.waitForInstance(await sandbox.instanceOf(issue.body))).toMatchObject({
    runtimeStatus: "Completed",
  });

  let jumped = false;
  const end = await waitFor(
    async () => {
      const view = await read();
      if (view.step === "awaiting-collection" && !jumped) {
        jumped = true;
        clock.jump(GRACE_MS + 1000);
      }
      return view.status === "running" || view.status === "pending" ? undefined : view;
    },
    { message: "the rotation to end", timeoutMs: 150_000, intervalMs: 100 },
  );
  // After the old root's retirement, hal holds a certificate of the new root, which the gateway trusts.
  expect(await trustedByGateway("hal@contoso.com")).toEqual({ trusted: true, active: 1 });
  expect({ step: seen.step, awaitingIssuances: seen.awaitingIssuances }).toEqual({
    step: "reissuing",
    awaitingIssuances: 1,
  });
  expect(end).toMatchObject({ status: "succeeded", step: "done", result: { reissued: 1 } });
  expect(clockErrors).toEqual([]);
}, 240_000);
