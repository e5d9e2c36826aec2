// sendCallback step by step: the calls it makes, the waits it takes, and how it ends.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { callbackInstanceId, sendCallback } from "../../../src/orchestrations/send-callback";
import type { CallbackInput } from "../../../src/orchestrations/send-callback";
import { OrchestrationDriver } from "./orchestration-driver";

const T0 = Date.UTC(2030, 0, 1, 8, 0, 0);
const HOUR = 3_600_000;
const input: CallbackInput = {
  requestId: "r-1",
  callbackUrl: "https://hooks.contoso.com/api/cb?token=receiver-own-token",
  ticketId: "INC1",
  source: "ticket",
  actor: "ticket:servicenow",
  upn: "Ann@Contoso.com",
  payload: { requestId: "r-1", status: "succeeded" },
};

function start(given: CallbackInput = input): { flow: OrchestrationDriver; clock: { now: number } } {
  const clock = { now: T0 };
  const flow = new OrchestrationDriver(sendCallback, given, {
    get currentUtcDateTime() {
      return new Date(clock.now);
    },
    createTimer: (at: Date) => ({ timerAt: at.toISOString() }),
  });
  return { flow, clock };
}

/** Answers the timer the orchestration waits on, moving the clock to it. */
function fireTimer(flow: OrchestrationDriver, clock: { now: number }, expectedAt: number): void {
  expect(flow.pending).toEqual({ timerAt: new Date(expectedAt).toISOString() });
  clock.now = expectedAt;
  flow.answer(undefined);
}

describe("sendCallback", () => {
  it("posts the payload as it is, audits the attempt under the user with the origin only, and ends delivered", () => {
    const { flow } = start();
    expect(flow.call).toEqual({
      functionName: "postCallback",
      input: { requestId: "r-1", callbackUrl: input.callbackUrl, body: JSON.stringify(input.payload) },
    });
    flow.answer({ verdict: "delivered", status: 204, reason: "accepted", retryWindowMs: 24 * HOUR });
    expect(flow.call.functionName).toBe("auditCallbackAttempt");
    expect(flow.call.input).toEqual({
      requestId: "r-1",
      ticketId: "INC1",
      source: "ticket",
      actor: "ticket:servicenow",
      subject: "ann@contoso.com",
      at: new Date(T0).toISOString(),
      origin: "https://hooks.contoso.com",
      attempt: 1,
      action: "callback.delivered",
      reason: "accepted",
      status: 204,
    });
    expect(JSON.stringify(flow.call.input)).not.toContain("receiver-own-token");
    flow.answer(null);
    expect(flow.output).toEqual({ delivered: true, attempts: 1, lastStatus: 204 });
  });

  it("counts a broken attempt as failed, waits 30 s, then honours a longer Retry-After", () => {
    const { flow, clock } = start();
    flow.fail(new Error("Activity function 'postCallback' failed: table unavailable\n    at stack"));
    expect(flow.call.input).toMatchObject({
      attempt: 1,
      action: "callback.failed",
      reason: "the attempt failed: Activity function 'postCallback' failed: table unavailable",
    });
    flow.answer(null);
    fireTimer(flow, clock, T0 + 30_000);
    flow.answer({ verdict: "retry", status: 429, reason: "busy", retryAfterMs: 10 * 60_000, retryWindowMs: HOUR });
    expect(flow.call.input).toMatchObject({ attempt: 2, action: "callback.failed", status: 429 });
    flow.answer(null);
    fireTimer(flow, clock, T0 + 30_000 + 10 * 60_000);
    flow.answer({ verdict: "refused", status: 410, reason: "gone", retryWindowMs: HOUR });
    expect(flow.call.input).toMatchObject({ attempt: 3, action: "callback.refused", status: 410 });
    flow.answer(null);
    expect(flow.output).toEqual({ delivered: false, attempts: 3, lastStatus: 410, reason: "gone" });
  });

  it("keeps to the window read at the first attempt: a last attempt at its end, then gives up, audited", () => {
    const { flow, clock } = start();
    const attemptAt: number[] = [];
    for (;;) {
      attemptAt.push(clock.now - T0);
      // A 503 without Retry-After; the window is 1 h (TICKETING_CALLBACK_MAX_HOURS=1).
      flow.answer({ verdict: "retry", status: 503, reason: "503", retryWindowMs: HOUR });
      flow.answer(null);
      const pending = flow.pending as { timerAt?: string } | undefined;
      if (pending?.timerAt === undefined) break;
      fireTimer(flow, clock, Date.parse(pending.timerAt));
    }
    expect(attemptAt).toEqual([0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 60].map((m) => m * 60_000));
    expect(flow.call.input).toMatchObject({ attempt: 0, action: "callback.abandoned", status: 503 });
    flow.answer(null);
    expect(flow.output).toEqual({
      delivered: false,
      attempts: 8,
      lastStatus: 503,
      reason: "gave up after 8 attempts: 503",
    });
  });
});

describe("sendCallback: status, subject and the last status seen", () => {
  it("runs under its parent's instance id", () => {
    expect(callbackInstanceId("lifecycle-abc")).toBe("lifecycle-abc:callback");
  });

  it("shows each attempt, each wait with its time, and the giving up in the status", () => {
    const { flow, clock } = start();
    flow.answer({ verdict: "retry", status: 503, reason: "503", retryWindowMs: 60_000 });
    flow.answer(null);
    fireTimer(flow, clock, T0 + 30_000);
    flow.answer({ verdict: "retry", status: 503, reason: "503", retryWindowMs: 60_000 });
    flow.answer(null);
    fireTimer(flow, clock, T0 + 60_000);
    flow.answer({ verdict: "retry", status: 503, reason: "503", retryWindowMs: 60_000 });
    flow.answer(null).answer(null);
    expect(flow.customStatuses).toEqual([
      { step: "sending-callback", attempt: 1 },
      { step: "callback-waiting", attempt: 1, nextAttemptAt: new Date(T0 + 30_000).toISOString() },
      { step: "sending-callback", attempt: 2 },
      { step: "callback-waiting", attempt: 2, nextAttemptAt: new Date(T0 + 60_000).toISOString() },
      { step: "sending-callback", attempt: 3 },
      { step: "callback-abandoned", attempt: 3 },
    ]);
    expect(flow.output).toMatchObject({ delivered: false, attempts: 3 });
  });

  it("audits under the ticket when the request has no user, and a URL it cannot read as such", () => {
    const { upn: _u, ...ticketOnly } = input;
    const { flow } = start({ ...ticketOnly, callbackUrl: "not a url" });
    flow.answer({ verdict: "refused", reason: "not https", retryWindowMs: HOUR });
    expect(flow.call.input).toMatchObject({ subject: "ticket:INC1", origin: "(not a URL)" });
  });

  it("keeps the last status a receiver answered across an attempt that got none", () => {
    const { flow, clock } = start();
    flow.answer({ verdict: "retry", status: 503, reason: "503", retryWindowMs: HOUR });
    flow.answer(null);
    fireTimer(flow, clock, T0 + 30_000);
    flow.fail(new Error("timeout"));
    flow.answer(null);
    fireTimer(flow, clock, T0 + 90_000);
    flow.answer({ verdict: "refused", reason: "the URL is no longer allowed", retryWindowMs: HOUR });
    flow.answer(null);
    expect(flow.output).toEqual({
      delivered: false,
      attempts: 3,
      lastStatus: 503,
      reason: "the URL is no longer allowed",
    });
  });
});
