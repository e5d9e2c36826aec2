// The gateway writer, step by step on a durable clock: what each pass calls with what, when it writes, follows,
// records and ends sessions, how it waits out a busy gateway, re-plans after a disagreement, puts back what a
// concurrent write dropped, trims its history, sleeps once in sync, and fails loudly.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { gatewayWriter } from "../../../src/orchestrations/gateway-writer";
import type { GatewayWriterInput } from "../../../src/domain/gateway-writer-input";
import { GENERATION, START, WriterHarness } from "./writer-harness";

/** The alert key an orchestration gives one raise (see failureKey in src/orchestrations/fail-loudly.ts). */
const WRITER_ALERT_KEY: unknown = expect.stringMatching(/^failure:.*:Gateway /);

const GATEWAY_ID =
  "/subscriptions/sub-1/resourceGroups/rg-vpn/providers/Microsoft.Network/virtualNetworkGateways/GW-West";
const GATEWAY = "GW-West";
const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const input: GatewayWriterInput = { gatewayId: GATEWAY_ID, busyBackoffMs: 1000, coalesceMs: 500, busyAlertMs: 600_000 };
const continued: GatewayWriterInput = { ...input, continued: true };
const RETRY = {
  firstRetryIntervalInMilliseconds: 1000,
  maxNumberOfAttempts: 4,
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 300_000,
};
const desired = {
  roots: [{ name: "p2s-root", publicCertData: "TUlJQg==" }],
  revokedThumbprints: [tp(1)],
  expiredThumbprints: [],
};
const revokedUsers = { [tp(1)]: "ada@contoso.com" };
const plan = { addedRevocations: [tp(1)], prunedRevocations: [], rootsAdded: [], rootsRemoved: [], restored: [] };
const NO_ENTRIES = { roots: [], revoked: [] };
const hand = (n: number) => ({ roots: [], revoked: [{ name: `hand-${n}`, thumbprint: tp(n) }] });
const passId = (n: number): string => `${GENERATION}:${n}`;
const started = (operation = "") => ({ outcome: "started", operation, writeKey: "k", plan, kept: NO_ENTRIES });

function writer(from: GatewayWriterInput = continued): WriterHarness {
  return new WriterHarness(gatewayWriter, from);
}

/** Answers a pass up to the gateway write: desired state read, then `outcome` for applyGatewayState. */
function apply(h: WriterHarness, outcome: unknown): WriterHarness {
  return h.answer("computeDesiredGatewayState", { desired, revokedUsers }).answer("applyGatewayState", outcome);
}

/** Answers the rest of a pass after its write or in-sync result: recorded, nothing to warn, no sessions. */
function finish(h: WriterHarness): WriterHarness {
  return h
    .answer("recordGatewaySync", { written: 0, rootsRemoved: [] })
    .answer("findRevokedSessions", { outcome: "none" });
}

/** One pass that writes and verifies at once. */
function writtenPass(h: WriterHarness, lost?: unknown): WriterHarness {
  apply(h, started()).answer("awaitGatewayWrite", { outcome: "written", revokedCount: 1, rootCount: 1, lost });
  if (lost !== undefined) h.answer("raiseAlert", "sent");
  return finish(h);
}

describe("gatewayWriter", () => {
  it("coalesces a burst, reads, finds the gateway in sync, records it and sleeps until a request", () => {
    const h = writer(input);
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 0, state: "coalescing" });
    expect(h.timerMs).toBe(500);
    h.fireTimer();
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 1, state: "reading" });
    expect(h.call).toEqual({ functionName: "computeDesiredGatewayState", input: {}, retry: RETRY });
    h.answer("computeDesiredGatewayState", { desired, revokedUsers });
    expect(h.call).toEqual({
      functionName: "applyGatewayState",
      input: { gatewayId: GATEWAY_ID, passId: passId(1), ticket: { at: START + 500, seq: 1 }, desired, revokedUsers },
      retry: RETRY,
    });
    h.answer("applyGatewayState", { outcome: "inSync", revokedCount: 3, rootCount: 2 });
    expect(h.call).toEqual({
      functionName: "recordGatewaySync",
      input: {
        gatewayId: GATEWAY_ID,
        passId: passId(1),
        outcome: "inSync",
        detail: "in sync",
        revokedCount: 3,
        rootCount: 2,
      },
      retry: RETRY,
    });
    h.answer("recordGatewaySync", { written: 0, rootsRemoved: [] });
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 1, state: "ending sessions" });
    expect(h.call).toEqual({ functionName: "findRevokedSessions", input: { gatewayId: GATEWAY_ID }, retry: RETRY });
    h.answer("findRevokedSessions", { outcome: "none" });
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 1, state: "waiting" });
    expect(h.eventName).toBe("changesPending");

    const settings = { ...input, busyBackoffMs: 2000, coalesceMs: 0, busyAlertMs: 60_000 };
    h.raise({ reason: "offboarding", settings });
    expect(h.flow.done).toBe(true);
    expect(h.flow.output).toEqual({ gateway: GATEWAY, passes: 1, continued: true });
    expect(h.continued).toEqual([{ ...settings, generation: 1, continued: false, busyAlerted: false }]);
  });

  it("asks for a new VPN profile after a write that changed roots, and not after a revocation-only write", () => {
    const h = writer();
    const rootPlan = { ...plan, addedRevocations: [], rootsAdded: ["p2s-root"] };
    apply(h, { ...started(), plan: rootPlan }).answer("awaitGatewayWrite", {
      outcome: "written",
      revokedCount: 0,
      rootCount: 1,
    });
    h.answer("recordGatewaySync", { written: 1, rootsRemoved: [] });
    expect(h.call).toEqual({
      functionName: "requestProfileRegeneration",
      input: { gatewayId: GATEWAY_ID, reason: `writer ${passId(1)}` },
      retry: RETRY,
    });
    h.answer("requestProfileRegeneration", "started").answer("findRevokedSessions", { outcome: "none" });

    const revocationOnly = writer();
    apply(revocationOnly, started()).answer("awaitGatewayWrite", { outcome: "written", revokedCount: 1, rootCount: 1 });
    revocationOnly.answer("recordGatewaySync", { written: 1, rootsRemoved: [] });
    expect(revocationOnly.call.functionName).toBe("findRevokedSessions");
  });

  it("asks for a new VPN profile after a write that only retired a root, or only dropped an expired one", () => {
    const retired = writer();
    const retirePlan = { ...plan, addedRevocations: [], rootsRetired: ["p2s-root-old"] };
    apply(retired, { ...started(), plan: retirePlan });
    retired.answer("awaitGatewayWrite", { outcome: "written", revokedCount: 0, rootCount: 1 });
    retired.answer("recordGatewaySync", { written: 1, rootsRemoved: [] });
    const regenerate = {
      functionName: "requestProfileRegeneration",
      input: { gatewayId: GATEWAY_ID, reason: `writer ${passId(1)}` },
      retry: RETRY,
    };
    expect(retired.call).toEqual(regenerate);

    const expired = writer();
    apply(expired, { ...started(), plan: { ...plan, addedRevocations: [], rootsRemoved: ["old-root"] } });
    expired.answer("awaitGatewayWrite", { outcome: "written", revokedCount: 0, rootCount: 1 });
    const old = { name: "old-root", notAfter: "2029-01-01T00:00:00.000Z" };
    expired.answer("recordGatewaySync", { written: 1, rootsRemoved: [old] }).answer("raiseAlert", "sent");
    expect(expired.call).toEqual(regenerate);
  });

  it("keeps its settings when a wake-up carries none, or another gateway's", () => {
    for (const wake of [
      null,
      { reason: "r" },
      { reason: "r", settings: { ...input, gatewayId: "/other", coalesceMs: 9 } },
    ]) {
      const h = writer({ ...input, coalesceMs: 0, generation: 7 });
      expect(h.call.functionName).toBe("computeDesiredGatewayState");
      apply(h, { outcome: "inSync", revokedCount: 0, rootCount: 0 });
      finish(h).raise(wake);
      expect(h.continued).toEqual([{ ...input, coalesceMs: 0, generation: 8, continued: false, busyAlerted: false }]);
    }
  });

  it("does not coalesce when it continues a stream of writes, and orders its passes after earlier generations'", () => {
    const h = writer({ ...continued, generation: 20 });
    expect(h.statuses).toEqual([{ gateway: GATEWAY, pass: 1, state: "reading" }]);
    h.answer("computeDesiredGatewayState", { desired, revokedUsers });
    expect(h.call.input).toMatchObject({ ticket: { at: START, seq: 21 } });
  });

  it("names a missing CA root in the record", () => {
    const h = writer();
    h.answer("computeDesiredGatewayState", { desired, revokedUsers, rootError: "the CA root could not be read" });
    h.answer("applyGatewayState", { outcome: "inSync", revokedCount: 0, rootCount: 0 });
    expect(h.call.input).toMatchObject({ detail: "in sync; the CA root could not be read" });
  });

  it("follows a write until it ends, records it, warns about expired roots, ends sessions, then passes again", () => {
    const h = writer();
    apply(h, { ...started("op-1"), writeKey: "k1", kept: hand(9) });
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 1, state: "writing" });
    const follow = { gatewayId: GATEWAY_ID, writeKey: "k1", desired, kept: hand(9) };
    expect(h.call).toEqual({
      functionName: "awaitGatewayWrite",
      input: { ...follow, operation: "op-1" },
      retry: RETRY,
    });
    h.now += 60_000;
    h.answer("awaitGatewayWrite", { outcome: "running", operation: "op-2" });
    expect(h.call).toEqual({
      functionName: "awaitGatewayWrite",
      input: { ...follow, operation: "op-2" },
      retry: RETRY,
    });
    h.answer("awaitGatewayWrite", { outcome: "written", revokedCount: 4, rootCount: 2 });
    expect(h.call.input).toEqual({
      gatewayId: GATEWAY_ID,
      passId: passId(1),
      outcome: "written",
      detail: `added 1 revocations, pruned 0`,
      revokedCount: 4,
      rootCount: 2,
    });
    const old = { name: "old-root", notAfter: "2029-01-01T00:00:00.000Z" };
    h.answer("recordGatewaySync", { written: 1, rootsRemoved: [old] });
    expect(h.call).toEqual({
      functionName: "raiseAlert",
      input: {
        severity: "warning",
        title: `Gateway ${GATEWAY}: expired root certificates removed`,
        detail: `removed old-root (expired 2029-01-01T00:00:00.000Z): Azure refuses every gateway write that carries an expired root (VpnClientRootCertificateExpired), and no client can authenticate with one`,
        subject: GATEWAY_ID,
        key: WRITER_ALERT_KEY,
      },
      retry: RETRY,
    });
    h.answer("raiseAlert", "sent");
    const sessions = [{ vpnConnectionId: "c1", user: "ada@contoso.com" }];
    h.answer("findRevokedSessions", { outcome: "found", marked: ["ada@contoso.com"], sessions, kept: [] });
    expect(h.call).toEqual({
      functionName: "disconnectRevokedSessions",
      input: { gatewayId: GATEWAY_ID, marked: ["ada@contoso.com"], sessions, passId: passId(1) },
      retry: RETRY,
    });
    h.answer("disconnectRevokedSessions", { outcome: "disconnected", count: 1 });
    // Something was written: pass again at once for what arrived meanwhile.
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 2, state: "reading" });
    h.answer("computeDesiredGatewayState", { desired, revokedUsers });
    expect(h.call.input).toMatchObject({ passId: passId(2), ticket: { at: START + 60_000, seq: 2 } });
  });

  it("counts a pruned-only write in the record", () => {
    const h = writer();
    const pruned = { ...plan, addedRevocations: [], prunedRevocations: [tp(4), tp(5)] };
    apply(h, { ...started(), plan: pruned });
    h.answer("awaitGatewayWrite", { outcome: "written", revokedCount: 0, rootCount: 1 });
    expect(h.call.input).toMatchObject({ outcome: "written", detail: "added 0 revocations, pruned 2" });
  });

  it("starts a new generation after ten passes that wrote, carrying what is still to be put back", () => {
    const h = writer({ ...continued, generation: 3 });
    for (let pass = 1; pass < 10; pass++) writtenPass(h);
    expect(h.continued).toEqual([]);
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 10, state: "reading" });
    writtenPass(h, hand(9));
    expect(h.flow.output).toEqual({ gateway: GATEWAY, passes: 10, continued: true });
    expect(h.continued).toEqual([
      { ...continued, generation: 13, continued: true, busyAlerted: false, restore: hand(9) },
    ]);
  });

  it("warns about entries a concurrent write dropped and puts them back until a verified write holds them", () => {
    const h = writer();
    apply(h, started());
    h.answer("awaitGatewayWrite", { outcome: "written", revokedCount: 1, rootCount: 1, lost: hand(9) });
    expect(h.call).toEqual({
      functionName: "raiseAlert",
      input: {
        severity: "warning",
        title: `Gateway ${GATEWAY}: a concurrent write dropped entries`,
        detail: `entries that were on the gateway before the writer's write are gone after it; the writer puts them back: revoked hand-9 (${tp(9)})`,
        subject: GATEWAY_ID,
        key: WRITER_ALERT_KEY,
      },
      retry: RETRY,
    });
    h.answer("raiseAlert", "sent");
    finish(h);
    h.answer("computeDesiredGatewayState", { desired, revokedUsers });
    expect(h.call.input).toMatchObject({ passId: passId(2), restore: hand(9) });
    // That write lost something else: only that is still to be put back.
    h.answer("applyGatewayState", started());
    h.answer("awaitGatewayWrite", { outcome: "written", revokedCount: 1, rootCount: 1, lost: hand(8) }).answer(
      "raiseAlert",
      "sent",
    );
    finish(h);
    h.answer("computeDesiredGatewayState", { desired, revokedUsers });
    expect(h.call.input).toMatchObject({ restore: hand(8) });
    // A verified write that lost nothing holds everything.
    h.answer("applyGatewayState", started());
    h.answer("awaitGatewayWrite", { outcome: "written", revokedCount: 1, rootCount: 1, lost: NO_ENTRIES });
    finish(h);
    h.answer("computeDesiredGatewayState", { desired, revokedUsers });
    expect(h.call.input).not.toHaveProperty("restore");
  });

  it("keeps what is to be put back across writes that do not verify, and forgets it once in sync", () => {
    const h = writer();
    apply(h, started()).answer("awaitGatewayWrite", { outcome: "unverified", detail: "d", lost: hand(9) });
    h.answer("raiseAlert", "sent");
    // The first disagreement re-plans at once.
    h.answer("computeDesiredGatewayState", { desired, revokedUsers });
    expect(h.call.input).toMatchObject({ passId: passId(2), restore: hand(9) });
    h.answer("applyGatewayState", started()).answer("awaitGatewayWrite", { outcome: "failed", detail: "d" });
    h.fireTimer();
    h.answer("computeDesiredGatewayState", { desired, revokedUsers });
    expect(h.call.input).toMatchObject({ passId: passId(3), restore: hand(9) });
    h.answer("applyGatewayState", started()).answer("awaitGatewayWrite", {
      outcome: "unverified",
      detail: "d",
      lost: hand(8),
    });
    h.answer("raiseAlert", "sent").fireTimer();
    h.answer("computeDesiredGatewayState", { desired, revokedUsers });
    expect(h.call.input).toMatchObject({ restore: { roots: [], revoked: [...hand(9).revoked, ...hand(8).revoked] } });
    h.answer("applyGatewayState", { outcome: "inSync", revokedCount: 1, rootCount: 1 });
    finish(h);
    h.raise(null);
    expect(h.continued).toEqual([{ ...continued, generation: 4, continued: false, busyAlerted: false }]);
  });

  it("re-plans at once after one disagreement, then after a doubling wait, and fails loudly at the fifth in a row", () => {
    const h = writer();
    apply(h, { outcome: "conflict", detail: "412 one" });
    expect(h.call.functionName).toBe("computeDesiredGatewayState");
    apply(h, { outcome: "superseded", detail: "newer pass" });
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 2, state: "superseded", waitMs: 1000 });
    expect(h.timerMs).toBe(1000);
    h.fireTimer();
    apply(h, started()).answer("awaitGatewayWrite", { outcome: "failed", detail: "op failed" });
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 3, state: "failed", waitMs: 2000 });
    expect(h.timerMs).toBe(2000);
    h.fireTimer();
    apply(h, started()).answer("awaitGatewayWrite", { outcome: "unverified", detail: "not shown" });
    expect(h.timerMs).toBe(4000);
    h.fireTimer();
    apply(h, { outcome: "conflict", detail: "412 five" });
    const detail = "5 writes in a row were refused or did not stick (last: 412 five)";
    expect(h.call).toEqual({
      functionName: "raiseAlert",
      input: {
        severity: "critical",
        title: `Gateway ${GATEWAY}: revocations cannot be applied`,
        detail,
        subject: GATEWAY_ID,
        key: WRITER_ALERT_KEY,
      },
      retry: RETRY,
    });
    h.answer("raiseAlert", "sent");
    expect(h.call).toEqual({
      functionName: "recordGatewaySync",
      input: { gatewayId: GATEWAY_ID, passId: passId(5), outcome: "conflict", detail, revokedCount: -1, rootCount: -1 },
      retry: RETRY,
    });
    expect(() => h.flow.answer({ written: 0, rootsRemoved: [] })).toThrow(new Error(`gateway ${GATEWAY}: ${detail}`));
    expect(h.status).toEqual({ gateway: GATEWAY, state: "failed", outcome: "conflict" });
  });

  it("starts counting disagreements again after a pass that applied", () => {
    const h = writer();
    for (let i = 0; i < 4; i++) {
      apply(h, { outcome: "conflict", detail: "412" });
      if (i > 0) h.fireTimer();
    }
    writtenPass(h);
    apply(h, { outcome: "conflict", detail: "412" });
    expect(h.call.functionName).toBe("computeDesiredGatewayState");
    apply(h, { outcome: "conflict", detail: "412" });
    expect(h.timerMs).toBe(1000);
  });

  it("stops following a write after 180 follow-ups, and counts it as a write that did not stick", () => {
    const h = writer();
    for (let i = 0; i < 4; i++) {
      apply(h, { outcome: "conflict", detail: "412" });
      if (i > 0) h.fireTimer();
    }
    apply(h, started("op"));
    for (let call = 0; call <= 180; call++) h.answer("awaitGatewayWrite", { outcome: "running", operation: "op" });
    expect(h.call.input).toMatchObject({
      severity: "critical",
      detail: "5 writes in a row were refused or did not stick (last: the gateway write did not end in time)",
    });
  });

  it("stops following a write three hours after its first follow-up", () => {
    const h = writer();
    apply(h, started("op"));
    h.now += 3 * 3_600_000 - 1;
    h.answer("awaitGatewayWrite", { outcome: "running", operation: "op" });
    expect(h.call.functionName).toBe("awaitGatewayWrite");
    h.now += 1;
    h.answer("awaitGatewayWrite", { outcome: "running", operation: "op" });
    expect(h.call.functionName).toBe("computeDesiredGatewayState");
  });

  describe("a busy gateway", () => {
    it("is waited out on a doubling timer, never shorter than its Retry-After nor longer than five minutes", () => {
      const h = writer();
      apply(h, { outcome: "busy", retryAfterMs: undefined, detail: "Updating" });
      expect(h.status).toEqual({ gateway: GATEWAY, pass: 1, state: "busy", waitMs: 1000 });
      expect(h.timerMs).toBe(1000);
      h.fireTimer();
      apply(h, { outcome: "throttled", retryAfterMs: 5000, detail: "429" });
      expect(h.status).toEqual({ gateway: GATEWAY, pass: 2, state: "throttled", waitMs: 5000 });
      h.fireTimer();
      apply(h, { outcome: "busy", retryAfterMs: 1, detail: "409" });
      expect(h.timerMs).toBe(4000);
      h.fireTimer();
      apply(h, started("op")).answer("awaitGatewayWrite", { outcome: "busy", retryAfterMs: 900_000, detail: "409" });
      expect(h.timerMs).toBe(300_000);
    });

    it("starts its backoff again after a pass that applied", () => {
      const h = writer();
      apply(h, { outcome: "busy", detail: "409" }).fireTimer();
      apply(h, { outcome: "busy", detail: "409" });
      expect(h.timerMs).toBe(2000);
      h.fireTimer();
      writtenPass(h);
      apply(h, { outcome: "busy", detail: "409" });
      expect(h.timerMs).toBe(1000);
    });

    it("warns once when it has refused the writer for the alert time, and keeps trying", () => {
      const h = writer();
      apply(h, { outcome: "busy", detail: "409" });
      h.now += 600_000 - 1;
      h.flow.answer(undefined);
      apply(h, { outcome: "busy", detail: "409" });
      expect(h.timerMs).toBe(2000);
      h.fireTimer();
      apply(h, { outcome: "throttled", detail: "429" });
      expect(h.call).toEqual({
        functionName: "raiseAlert",
        input: {
          severity: "warning",
          title: `Gateway ${GATEWAY}: revocations are waiting`,
          detail: "the gateway has refused the writer (throttled) for 10 minutes; it keeps trying",
          subject: GATEWAY_ID,
          key: WRITER_ALERT_KEY,
        },
        retry: RETRY,
      });
      h.answer("raiseAlert", "sent");
      expect(h.timerMs).toBe(4000);
      h.fireTimer();
      apply(h, { outcome: "busy", detail: "409" });
      expect(h.timerMs).toBe(8000);
    });

    it("warns again in a later busy spell, not carried over a pass that applied", () => {
      const h = writer({ ...continued, busySince: START - 600_000, busyAlerted: true });
      apply(h, { outcome: "busy", detail: "409" });
      expect(h.timerMs).toBe(1000);
      h.fireTimer();
      apply(h, { outcome: "inSync", revokedCount: 0, rootCount: 0 });
      finish(h).raise(null);
      expect(h.continued).toEqual([{ ...continued, generation: 2, continued: false, busyAlerted: false }]);

      const again = writer({ ...continued, busySince: START - 600_000 });
      apply(again, { outcome: "busy", detail: "409" });
      expect(again.call.input).toMatchObject({
        detail: "the gateway has refused the writer (busy) for 10 minutes; it keeps trying",
      });
    });

    it("trims its history after ten passes, carrying the spell's start and its warning", () => {
      const h = writer({ ...continued, busyAlertMs: 5_000 });
      apply(h, { outcome: "busy", detail: "409" });
      for (let pass = 2; pass <= 10; pass++) {
        h.fireTimer();
        apply(h, { outcome: "busy", detail: "409" });
        if (pass === 4) h.answer("raiseAlert", "sent");
      }
      expect(h.flow.output).toEqual({ gateway: GATEWAY, passes: 10, continued: true });
      expect(h.continued).toEqual([
        { ...continued, busyAlertMs: 5_000, generation: 10, continued: true, busySince: START, busyAlerted: true },
      ]);
    });

    it("waits out a refused session lookup like a refused write", () => {
      const h = writer();
      apply(h, { outcome: "inSync", revokedCount: 0, rootCount: 0 });
      h.answer("recordGatewaySync", { written: 0, rootsRemoved: [] });
      h.answer("findRevokedSessions", { outcome: "throttled", retryAfterMs: 3000, detail: "429" });
      expect(h.status).toEqual({ gateway: GATEWAY, pass: 1, state: "throttled", waitMs: 3000 });
      h.fireTimer();
      expect(h.status).toEqual({ gateway: GATEWAY, pass: 2, state: "reading" });
    });

    it("sends a refused disconnect again after a wait, six times, before it starts the pass over", () => {
      const h = writer();
      apply(h, { outcome: "inSync", revokedCount: 0, rootCount: 0 });
      h.answer("recordGatewaySync", { written: 0, rootsRemoved: [] });
      const sessions = [{ vpnConnectionId: "c1", user: "ada@contoso.com" }];
      h.answer("findRevokedSessions", { outcome: "found", marked: ["ada@contoso.com"], sessions, kept: [] });
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 5; attempt++) {
        expect(h.call.input).toEqual({
          gatewayId: GATEWAY_ID,
          marked: ["ada@contoso.com"],
          sessions,
          passId: passId(1),
        });
        h.answer("disconnectRevokedSessions", {
          outcome: attempt === 2 ? "throttled" : "busy",
          retryAfterMs: attempt === 3 ? 9000 : undefined,
        });
        expect(h.status).toMatchObject({ pass: 1, state: attempt === 2 ? "throttled" : "busy" });
        waits.push(h.timerMs);
        h.fireTimer();
      }
      expect(waits).toEqual([1000, 2000, 9000, 8000, 16000]);
      h.answer("disconnectRevokedSessions", { outcome: "throttled", retryAfterMs: 4000 });
      expect(h.status).toEqual({ gateway: GATEWAY, pass: 1, state: "throttled", waitMs: 4000 });
      h.fireTimer();
      expect(h.call.functionName).toBe("computeDesiredGatewayState");
    });
  });

  describe("fails loudly", () => {
    it.each(["capacity", "rejected", "radiusSecret"])("when the gateway cannot be written (%s)", (outcome) => {
      const h = writer();
      apply(h, { outcome, detail: `cannot: ${outcome}` });
      expect(h.call.input).toEqual({
        severity: "critical",
        title: `Gateway ${GATEWAY}: revocations cannot be applied`,
        detail: `cannot: ${outcome}`,
        subject: GATEWAY_ID,
        key: WRITER_ALERT_KEY,
      });
      h.answer("raiseAlert", "sent");
      expect(h.call.input).toMatchObject({ passId: passId(1), outcome, detail: `cannot: ${outcome}` });
      expect(() => h.flow.answer({ written: 0, rootsRemoved: [] })).toThrow(`gateway ${GATEWAY}: cannot: ${outcome}`);
    });

    it("when an activity fails beyond its retries, naming the failure", () => {
      const h = writer();
      h.fail("computeDesiredGatewayState", new Error("ledger unreachable"));
      expect(h.call.input).toMatchObject({ severity: "critical", detail: "unexpected failure: ledger unreachable" });
      h.answer("raiseAlert", "sent");
      expect(h.call.input).toMatchObject({ outcome: "error", detail: "unexpected failure: ledger unreachable" });
    });

    it("naming a failure that is not an Error by its text", () => {
      const h = writer();
      h.fail("computeDesiredGatewayState", "plain text" as unknown as Error);
      expect(h.call.input).toMatchObject({ detail: "unexpected failure: plain text" });
    });

    it("even when neither the alert nor the record can be made, and says so", () => {
      const h = writer();
      apply(h, { outcome: "rejected", detail: "bad object" });
      h.fail("raiseAlert", new Error("no mail"));
      expect(h.call.functionName).toBe("recordGatewaySync");
      expect(() => h.flow.fail(new Error("table down"))).toThrow(
        new Error(
          `gateway ${GATEWAY}: bad object; the alert could not be sent: no mail; the pass could not be recorded: table down`,
        ),
      );
      expect(h.status).toEqual({ gateway: GATEWAY, state: "failed", outcome: "rejected" });
    });
  });

  it("keeps going when a warning cannot be sent, and shows why in its status", () => {
    const h = writer();
    apply(h, started());
    h.answer("awaitGatewayWrite", { outcome: "written", revokedCount: 1, rootCount: 1, lost: hand(9) });
    h.fail("raiseAlert", new Error("smtp down"));
    expect(h.status).toEqual({ gateway: GATEWAY, state: "warning not sent", detail: "smtp down" });
    expect(h.call.functionName).toBe("recordGatewaySync");
  });

  // Added after the first Stryker run, each for a survivor of it.
  it("warns again when the gateway refuses the writer for a long while after a pass that applied", () => {
    const h = writer({ ...continued, busyAlertMs: 1000 });
    apply(h, { outcome: "busy", detail: "409" }).fireTimer();
    apply(h, { outcome: "busy", detail: "409" });
    h.answer("raiseAlert", "sent").fireTimer();
    writtenPass(h);
    apply(h, { outcome: "busy", detail: "409" }).fireTimer();
    apply(h, { outcome: "busy", detail: "409" });
    expect(h.call.input).toMatchObject({ title: `Gateway ${GATEWAY}: revocations are waiting` });
  });

  it("records a write it stopped following as unverified", () => {
    const h = writer();
    apply(h, { outcome: "conflict", detail: "412" });
    apply(h, started("op"));
    h.now += 3 * 3_600_000;
    h.answer("awaitGatewayWrite", { outcome: "running", operation: "op" });
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 2, state: "unverified", waitMs: 1000 });
  });

  it("waits out a busy session lookup", () => {
    const h = writer();
    apply(h, { outcome: "inSync", revokedCount: 0, rootCount: 0 });
    h.answer("recordGatewaySync", { written: 0, rootsRemoved: [] });
    h.answer("findRevokedSessions", { outcome: "busy", detail: "409" });
    expect(h.status).toEqual({ gateway: GATEWAY, pass: 1, state: "busy", waitMs: 1000 });
    expect(h.timerMs).toBe(1000);
  });
});
