// Offboarding on the whole sandbox (the app on the embedded host, the emulators, Azurite), with a virtual clock so
// the durable retries of a failing offboarding run out without real waits: certificates disabled in Key Vault, every
// live record revoked, a failure alerted and restarted by gatewayReconcile, a repeat that revokes what was issued
// since, and offboarded users refused a new certificate unless a later rehire says otherwise.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { randomBytes } from "node:crypto";
import { createVirtualClock } from "../../../dev/host/clock";
import type { ManualClock } from "../../../dev/host/clock";
import { keyVaultClients } from "../../../src/clients/keyvault";
import type { KeyVaultClients } from "../../../src/clients/keyvault";
import { Ledger } from "../../../src/clients/ledger";
import { getConfig } from "../../../src/config";
import type { CertificateRecord, CertificateStatus } from "../../../src/domain/ledger";
import { assertUpn, keyVaultCertificateName } from "../../../src/domain/upn";
import { startTestSandbox } from "../../support/sandbox";
import type { InstanceStatus, TestSandbox } from "../../support/sandbox";

/** A schedule that never fires during the test: only the test runs the safety net. */
const NEVER = "0 0 0 1 1 *";
const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);
const MINUTE = 60_000;

let sandbox: TestSandbox;
let clock: ManualClock;
let kv: KeyVaultClients;
let ledger: Ledger;

beforeAll(async () => {
  clock = createVirtualClock(Date.now());
  sandbox = await startTestSandbox({ clock, settings: { GATEWAY_RECONCILE_SCHEDULE: NEVER } });
  kv = keyVaultClients(getConfig());
  ledger = Ledger.fromConfig(getConfig());
});

afterAll(async () => {
  await sandbox.stop();
});

afterEach(() => {
  sandbox.keyVault.faults.clear();
});

/** Waits for an instance to end, moving the virtual clock so durable retry timers (up to 5 minutes) fire. */
async function settle(instanceId: string): Promise<InstanceStatus> {
  for (let step = 0; step < 3_000; step += 1) {
    const snapshot = sandbox.durable.inspect(instanceId);
    if (snapshot !== undefined && TERMINAL.has(snapshot.runtimeStatus)) {
      return { runtimeStatus: snapshot.runtimeStatus, output: snapshot.output, customStatus: snapshot.customStatus };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (step % 2 === 1) await clock.advance(10_000);
  }
  throw new Error(`instance ${instanceId} did not finish`);
}

async function issue(upn: string, requestId: string, extra: Record<string, unknown> = {}) {
  const posted = await sandbox.api("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, {
    requestId,
    ...extra,
  });
  if (posted.status !== 202) throw new Error(`issuance answered ${posted.status}: ${posted.text}`);
  const done = await settle(await sandbox.instanceOf(posted.body));
  expect(done.runtimeStatus).toBe("Completed");
  return done.output as { status: string; thumbprint: string; certificateName: string };
}

function offboard(upn: string, requestId: string, extra: Record<string, unknown> = {}) {
  return sandbox.api("POST", `/api/v1/users/${encodeURIComponent(upn)}/revocations`, {
    requestId,
    reason: "left the company",
    ...extra,
  });
}

async function offboarded(
  upn: string,
  requestId: string,
): Promise<{ id: string; requestId: string; done: InstanceStatus }> {
  const posted = await offboard(upn, requestId);
  expect(posted.status).toBe(202);
  const id = await sandbox.instanceOf(posted.body);
  return { id, requestId: (posted.body as { requestId: string }).requestId, done: await settle(id) };
}

async function enabledInKeyVault(name: string): Promise<boolean | undefined> {
  return (await kv.certificates.getCertificate(name)).properties.enabled;
}

async function status(upn: string, certificateName: string): Promise<CertificateStatus | undefined> {
  return (await ledger.getCertificate(upn, certificateName))?.status;
}

function iso(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString();
}

describe("offboarding", () => {
  it("disables every certificate of the user in Key Vault", async () => {
    const upn = "kim@contoso.com";
    const first = await issue(upn, "INC7000");
    const second = await issue(upn, "INC7001");
    expect(await enabledInKeyVault(first.certificateName)).toBe(true);
    expect(await enabledInKeyVault(second.certificateName)).toBe(true);

    const { done } = await offboarded(upn, "LEAVER-7000");
    expect(done.runtimeStatus).toBe("Completed");
    expect(await enabledInKeyVault(first.certificateName)).toBe(false);
    expect(await enabledInKeyVault(second.certificateName)).toBe(false);
  });

  it("revokes every live record (issuing, active, superseded), not only the active ones", async () => {
    const upn = "lou@contoso.com";
    const now = new Date();
    const record = (status: CertificateStatus, withThumbprint = true): CertificateRecord => ({
      userKey: upn,
      upn,
      certificateName: `p2s-test-${status}-${randomBytes(4).toString("hex")}`,
      status,
      requestId: `TEST-${status}`,
      source: "api",
      sourceId: `TEST-${status}`,
      ...(withThumbprint ? { thumbprint: randomBytes(20).toString("hex").toUpperCase() } : {}),
      notBefore: new Date(now.getTime() - 86_400_000),
      notAfter: new Date(now.getTime() + 30 * 86_400_000),
      updatedAt: now,
    });
    const issuing = record("issuing", false);
    const active = record("active");
    const superseded = record("superseded");
    const expired = record("expired");
    for (const r of [issuing, active, superseded, expired]) await ledger.putCertificate(r);

    const { done } = await offboarded(upn, "LEAVER-7005");
    expect(done.runtimeStatus).toBe("Completed");
    expect(await status(upn, issuing.certificateName)).toBe("revoked");
    expect(await status(upn, active.certificateName)).toBe("revoked");
    expect(await status(upn, superseded.certificateName)).toBe("revoked");
    expect(await status(upn, expired.certificateName)).toBe("expired");
    expect([...(done.output as { revokedThumbprints: string[] }).revokedThumbprints].sort()).toEqual(
      [active.thumbprint, superseded.thumbprint].sort(),
    );
  });

  it("that fails raises a critical alert naming the user and the request, and gatewayReconcile restarts it", async () => {
    const upn = "max@contoso.com";
    const { certificateName } = await issue(upn, "INC7002");
    // Key Vault refuses the disable for longer than every retry (a role assignment removed, say).
    sandbox.keyVault.faults.add({ operation: "certificates.update", status: 403, code: "Forbidden" });
    const { id, done } = await offboarded(upn, "LEAVER-7002");
    expect(done.runtimeStatus).toBe("Failed");
    // Activities run at least once (the suite re-delivers some, as Azure Storage can): the alert's key makes it one.
    const alerts = new Set(sandbox.logs.filter((line) => line.includes("ALERT critical")));
    expect([...alerts]).toEqual([
      expect.stringMatching(
        /ALERT critical: Offboarding of max@contoso\.com failed \(request LEAVER-7002\) P2S_ALERT .*Activity function 'disableCertificates' failed: .*certificates\.update\.; the user's certificates may still work/,
      ),
    ]);
    expect(await enabledInKeyVault(certificateName)).toBe(true);

    // The cause is fixed; the safety-net timer finds the failed offboarding and runs it again under its id.
    sandbox.keyVault.faults.clear();
    const admin = await fetch(`${sandbox.endpoints.host}/admin/functions/gatewayReconcile`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-functions-key": sandbox.endpoints.masterKey },
      body: JSON.stringify({ input: "" }),
    });
    expect(admin.status).toBe(202);
    await waitFor(() => sandbox.durable.inspect(id)?.runtimeStatus !== "Failed", "the offboarding to be restarted");
    expect((await settle(id)).runtimeStatus).toBe("Completed");
    expect(await enabledInKeyVault(certificateName)).toBe(false);
    expect(await status(upn, certificateName)).toBe("revoked");
  });

  it("repeated after it completed revokes a certificate issued since, and says so when nothing is left", async () => {
    const upn = "nia@contoso.com";
    await issue(upn, "INC7003");
    const first = await offboarded(upn, "LEAVER-7003");
    expect(first.done.runtimeStatus).toBe("Completed");
    const rehired = await issue(upn, "INC7004", { rehire: true });
    expect(rehired.status).toBe("active");

    // The same request again (a replayed HR event): keyed on what it revokes, it runs again for the new certificate.
    const again = await offboard(upn, "LEAVER-7003");
    expect(again.status).toBe(202);
    const againId = await sandbox.instanceOf(again.body);
    expect(againId).not.toBe(first.id);
    expect((again.body as { requestId: string }).requestId).not.toBe(first.requestId);
    expect((await settle(againId)).runtimeStatus).toBe("Completed");
    expect(await status(upn, rehired.certificateName)).toBe("revoked");
    expect(await enabledInKeyVault(rehired.certificateName)).toBe(false);

    // Once more: nothing is live, so nothing starts, and the answer says so.
    const third = await offboard(upn, "LEAVER-7003");
    expect(third.status).toBe(200);
    // It names the request (its first run), done, and no durable link.
    expect(third.body).toEqual({
      requestId: first.requestId,
      status: "succeeded",
      statusUrl: `${sandbox.endpoints.host}/api/v1/requests/${first.requestId}`,
      detail: expect.stringContaining("nothing was started") as unknown,
    });
  });
});

describe("offboarded means no new certificate", () => {
  it("refuses a certificate for an offboarded user with 409 naming the offboarding, and starts nothing", async () => {
    const upn = "oz@contoso.com";
    expect((await offboarded(upn, "LEAVER-7010")).done.runtimeStatus).toBe("Completed");
    await sandbox.host.idle();
    const creates = sandbox.keyVault.stats.operation("certificates.create").count;
    const posted = await sandbox.api("POST", `/api/v1/users/${upn}/certificates`, { requestId: "INC7010" });
    expect(posted.status).toBe(409);
    expect(posted.body).toMatchObject({ title: "User offboarded" });
    expect((posted.body as { detail: string }).detail).toMatch(/offboarded at .*LEAVER-7010.*"rehire": true/);
    await sandbox.host.idle();
    const instanceId = `issue-${keyVaultCertificateName(assertUpn(upn), "INC7010")}`;
    expect(sandbox.durable.inspect(instanceId)).toBeUndefined();
    expect(sandbox.keyVault.stats.operation("certificates.create").count).toBe(creates);
    expect(await ledger.listUserCertificates(upn)).toEqual([]);
  });

  it("compares the upstream times: a rehire effective before the offboarding took effect is refused", async () => {
    const upn = "pia@contoso.com";
    // HR says she left an hour ago; the event reaches the app now.
    const left = await offboard(upn, "LEAVER-7011", { effectiveAt: iso(-60 * MINUTE) });
    expect(left.status).toBe(202);
    expect((await settle(await sandbox.instanceOf(left.body))).runtimeStatus).toBe("Completed");

    // A rehire dated before that departure is about the earlier employment: refused, though it arrives later.
    const early = await sandbox.api("POST", `/api/v1/users/${upn}/certificates`, {
      requestId: "INC7011",
      rehire: true,
      effectiveAt: iso(-120 * MINUTE),
    });
    expect(early.status).toBe(409);
    expect((early.body as { detail: string }).detail).toContain("a rehire must take effect after the offboarding");

    const rehired = await issue(upn, "INC7012", { rehire: true, effectiveAt: iso(-30 * MINUTE) });
    expect(rehired.status).toBe("active");
  });

  it("refuses an offboarding that took effect before the user's latest rehire with 409, revoking nothing", async () => {
    const upn = "pia@contoso.com";
    const [certificate] = await ledger.listUserCertificates(upn);
    expect(certificate?.status).toBe("active");
    const stale = await offboard(upn, "LEAVER-7013", { effectiveAt: iso(-45 * MINUTE) });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ title: "Offboarding predates a rehire" });
    expect((stale.body as { detail: string }).detail).toMatch(/^nothing was done: pia@contoso\.com was rehired at/);
    await sandbox.host.idle();
    expect(await status(upn, certificate?.certificateName ?? "")).toBe("active");
  });

  it.each([
    ["in the future", () => iso(60 * MINUTE), "is in the future"],
    ["absurdly old", () => "1999-12-31T00:00:00Z", "days old"],
    ["without a zone", () => "2026-12-01T10:00:00", "effectiveAt"],
    ["not a time", () => "yesterday", "effectiveAt"],
  ])("answers 400 for an effectiveAt %s, on both routes", async (_what, value, message) => {
    const upn = "quinn@contoso.com";
    for (const [route, body] of [
      ["certificates", { requestId: "INC7020", rehire: true, effectiveAt: value() }],
      ["revocations", { requestId: "LEAVER-7020", reason: "left", effectiveAt: value() }],
    ] as const) {
      const answer = await sandbox.api("POST", `/api/v1/users/${upn}/${route}`, body);
      expect({ route, status: answer.status }).toEqual({ route, status: 400 });
      expect((answer.body as { detail: string }).detail).toContain(message);
    }
  });
});

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
