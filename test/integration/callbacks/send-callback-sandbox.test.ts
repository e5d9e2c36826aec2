// The sendCallback orchestration on the whole sandbox (the app on the embedded host, Azurite), calling a loopback HTTPS
// receiver served with the sandbox's CA (allowed because the sandbox runs with P2S_CREDENTIAL=localEmulator), with a
// virtual clock: the durable timers of a day of retries fire when the test moves time, never after real waits.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { randomBytes } from "node:crypto";
import { createVirtualClock } from "../../../dev/host/clock";
import type { ManualClock } from "../../../dev/host/clock";
import { Ledger } from "../../../src/clients/ledger";
import { getConfig, resetConfig } from "../../../src/config";
import type { AuditEntry } from "../../../src/domain/ledger";
import { checkSignature } from "../../../src/domain/request-signature";
import type { CallbackInput, CallbackOutcome } from "../../../src/orchestrations/send-callback";
import { startCallbackReceiver } from "../../support/callback-receiver";
import type { CallbackReceiver } from "../../support/callback-receiver";
import { startTestSandbox, testAtLeastOnce } from "../../support/sandbox";
import type { InstanceStatus, TestSandbox } from "../../support/sandbox";

const NEVER = "0 0 0 1 1 *";
const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);
const MINUTE = 60_000;

let sandbox: TestSandbox;
let clock: ManualClock;
let receiver: CallbackReceiver;

beforeAll(async () => {
  clock = createVirtualClock(Date.now());
  sandbox = await startTestSandbox({ clock, settings: { GATEWAY_RECONCILE_SCHEDULE: NEVER } });
  receiver = await startCallbackReceiver(sandbox.ca, { now: () => clock.now() });
  setAllowlist(receiver.url);
});

afterAll(async () => {
  await receiver.stop();
  await sandbox.stop();
});

function setAllowlist(origins: string): void {
  process.env.TICKETING_CALLBACK_ALLOWLIST = origins;
  resetConfig();
}

/** Starts sendCallback the way lifecycleRequest does (a sub-orchestration), through the durable API. */
async function startCallback(upn: string): Promise<{ instanceId: string; input: CallbackInput; startedAt: number }> {
  const requestId = randomBytes(8).toString("hex");
  const input: CallbackInput = {
    requestId,
    callbackUrl: `${receiver.url}/api/now/callbacks?ticket=INC${requestId}`,
    ticketId: `INC${requestId}`,
    source: "ticket",
    actor: "ticket:servicenow",
    upn,
    payload: { requestId, ticketId: `INC${requestId}`, action: "onboard", status: "Completed", upn },
  };
  const instanceId = `callback-${requestId}`;
  const startedAt = clock.now();
  const response = await fetch(
    `${sandbox.endpoints.host}/runtime/webhooks/durabletask/orchestrators/sendCallback/${instanceId}`,
    {
      method: "POST",
      headers: { "content-type": "application/json", "x-functions-key": sandbox.host.keys.durableTaskKey },
      body: JSON.stringify(input),
    },
  );
  if (response.status !== 202) throw new Error(`starting sendCallback answered ${String(response.status)}`);
  return { instanceId, input, startedAt };
}

/** Runs an instance to its end, moving the virtual clock to each next attempt the instance announces. */
async function drive(instanceId: string, onWait: (attempt: number) => void = () => undefined): Promise<InstanceStatus> {
  const deadline = Date.now() + 100_000;
  const seen = new Set<number>();
  for (;;) {
    const snapshot = sandbox.durable.inspect(instanceId);
    if (snapshot !== undefined && TERMINAL.has(snapshot.runtimeStatus)) {
      return { runtimeStatus: snapshot.runtimeStatus, output: snapshot.output, customStatus: snapshot.customStatus };
    }
    if (Date.now() > deadline) throw new Error(`sendCallback ${instanceId} did not finish: ${snapshot?.runtimeStatus}`);
    const status = snapshot?.customStatus as { step?: string; attempt?: number; nextAttemptAt?: string } | undefined;
    const next = status?.nextAttemptAt === undefined ? NaN : Date.parse(status.nextAttemptAt);
    if (status?.step === "callback-waiting" && next > clock.now()) {
      if (status.attempt !== undefined && !seen.has(status.attempt)) {
        seen.add(status.attempt);
        onWait(status.attempt);
      }
      await clock.advanceTo(next);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function auditOf(upn: string, requestId: string): Promise<AuditEntry[]> {
  const entries = await Ledger.fromConfig(getConfig()).listAudit(upn);
  return entries
    .filter((entry) => entry.requestId === requestId && entry.action.startsWith("callback."))
    .sort((a, b) => a.at.getTime() - b.at.getTime() || Number(a.details?.attempt) - Number(b.details?.attempt));
}

function receivedFor(requestId: string) {
  return receiver.received.filter((r) => r.path.includes(`INC${requestId}`));
}

describe("sendCallback on the sandbox", () => {
  it("retries a 503 on durable timers (30 s, then 1 min later) and delivers the signed status; each attempt audited", async () => {
    const upn = "callback.retry@contoso.com";
    const t0 = clock.now();
    receiver.answerWith((request) => ({ status: request.at - t0 < 60_000 ? 503 : 200 }));
    const { instanceId, input } = await startCallback(upn);
    const done = await drive(instanceId);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual({ delivered: true, attempts: 3, lastStatus: 200 } satisfies CallbackOutcome);

    const audit = await auditOf(upn, input.requestId);
    expect(audit.map((e) => [e.action, e.details?.attempt, e.details?.status, e.at.getTime() - t0])).toEqual([
      ["callback.failed", 1, 503, 0],
      ["callback.failed", 2, 503, 30_000],
      ["callback.delivered", 3, 200, 90_000],
    ]);
    for (const entry of audit) {
      expect(entry).toMatchObject({ actor: "ticket:servicenow", source: "ticket", subject: upn });
      expect(entry.details).toMatchObject({ ticketId: input.ticketId, origin: receiver.url });
    }

    // Every request the receiver got (at-least-once delivery may repeat one) carries the same body, correctly signed.
    const got = receivedFor(input.requestId);
    expect(got.length).toBeGreaterThanOrEqual(3);
    for (const request of got) {
      expect(JSON.parse(request.rawBody.toString("utf8"))).toEqual(input.payload);
      const check = checkSignature(
        [sandbox.endpoints.ticketSecret],
        request.headers["x-request-timestamp"] as string,
        request.headers["x-signature-256"] as string,
        request.rawBody,
        Date.now(),
      );
      expect(check).toEqual({ ok: true, secretIndex: 0 });
    }
    // Neither the secret nor any signature is in the audit.
    const audited = JSON.stringify(audit);
    expect(audited).not.toContain(sandbox.endpoints.ticketSecret);
    for (const request of got) expect(audited).not.toContain(String(request.headers["x-signature-256"]));
  });

  it("stops at once when the receiver answers 400", async () => {
    const upn = "callback.refused@contoso.com";
    receiver.answerWith(() => ({ status: 400 }));
    const { instanceId, input } = await startCallback(upn);
    const done = await drive(instanceId);
    expect(done.output).toEqual({
      delivered: false,
      attempts: 1,
      lastStatus: 400,
      reason: "the receiver refused it (400)",
    } satisfies CallbackOutcome);
    expect((await auditOf(upn, input.requestId)).map((e) => e.action)).toEqual(["callback.refused"]);
  });

  it("retries a receiver that keeps failing for TICKETING_CALLBACK_MAX_HOURS (24 h), then gives up, audited", async () => {
    const upn = "callback.down@contoso.com";
    receiver.answerWith(() => ({ status: 503 }));
    const { instanceId, input, startedAt } = await startCallback(upn);
    const done = await drive(instanceId);
    // 30 s, doubling up to an hour: attempts at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 63.5 min, then hourly, and a last
    // one at the 24 h mark itself.
    const expected: number[] = [0];
    for (let wait = 30_000; expected.length < 100; wait = Math.min(2 * wait, 60 * MINUTE)) {
      const next = (expected[expected.length - 1] ?? 0) + wait;
      if (next >= 24 * 60 * MINUTE) break;
      expected.push(next);
    }
    expected.push(24 * 60 * MINUTE);
    expect(expected).toHaveLength(31);
    expect(done.output).toEqual({
      delivered: false,
      attempts: 31,
      lastStatus: 503,
      reason: "gave up after 31 attempts: the receiver answered 503; will try again",
    } satisfies CallbackOutcome);
    const audit = await auditOf(upn, input.requestId);
    const attempts = audit.filter((e) => e.action === "callback.failed");
    expect(attempts.map((e) => e.at.getTime() - startedAt)).toEqual(expected);
    expect(attempts.map((e) => e.details?.attempt)).toEqual(expected.map((_, i) => i + 1));
    expect(audit.filter((e) => e.action === "callback.abandoned")).toHaveLength(1);
    // Every attempt reached the receiver at its time. Attempts run at least once (the suite re-delivers some activity
    // executions, as Azure Storage can): a re-delivered one posts again later, within the retry window.
    const times = receivedFor(input.requestId).map((r) => r.at - startedAt);
    expect(expected.filter((t) => !times.includes(t))).toEqual([]);
    const redelivered = times.filter((t) => !expected.includes(t));
    expect(redelivered.filter((t) => t <= 0 || t >= 24 * 60 * MINUTE)).toEqual([]);
    expect(times.length).toBeLessThanOrEqual(2 * expected.length);
  });

  it("checks the allowlist again before each attempt: an origin removed meanwhile is not called again", async () => {
    const upn = "callback.allowlist@contoso.com";
    receiver.answerWith(() => ({ status: 503 }));
    // Exactly-once here: a re-delivered first attempt still in flight when the clock jumps reaches the receiver at the
    // second attempt's time, which the receiver cannot tell from a second attempt (re-delivery is the test above's).
    sandbox.durable.setAtLeastOnce(undefined);
    const { instanceId, input } = await startCallback(upn);
    try {
      const done = await drive(instanceId, () => {
        setAllowlist("https://hooks.contoso.com");
      });
      expect(done.output).toMatchObject({ delivered: false, attempts: 2, lastStatus: 503 });
      expect((done.output as CallbackOutcome).reason).toMatch(/not in TICKETING_CALLBACK_ALLOWLIST/);
      // Only the first attempt reached the receiver.
      expect(receivedFor(input.requestId)).toHaveLength(1);
    } finally {
      setAllowlist(receiver.url);
      sandbox.durable.setAtLeastOnce(testAtLeastOnce());
    }
  });
});
