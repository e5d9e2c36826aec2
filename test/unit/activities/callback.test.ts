// The callback activities through the fake invoker: postCallback refuses to send unsigned, passes the configured
// allowlist, timeout, loopback rule, user agent and extra CA to the sender, and adds the retry window to its answer;
// auditCallbackAttempt writes one row per attempt (the closing one as `abandoned`) with the origin only.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
let mockConfig: Record<string, unknown>;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
jest.mock("../../../src/config", () => ({
  ...jest.requireActual<typeof import("../../../src/config")>("../../../src/config"),
  getConfig: () => mockConfig,
}));
const mockSend = jest.fn();
jest.mock("../../../src/clients/callback-sender", () => ({
  sendSignedCallback: (...args: unknown[]): unknown => mockSend(...args),
}));

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../../src/activities/callback";
import { APP_VERSION } from "../../../src/version";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { FakeLedger } from "./activity-fakes";

const invoker = new FakeInvoker();
let ledger: FakeLedger;

const BASE = {
  TICKETING_CALLBACK_MAX_HOURS: 2,
  TICKETING_SHARED_SECRET: "s3cret-of-32-characters-at-least!",
  TICKETING_CALLBACK_ALLOWLIST: ["tickets.contoso.com"],
  TICKETING_CALLBACK_TIMEOUT_MS: 4_000,
  P2S_CREDENTIAL: "managedIdentity",
};

beforeEach(() => {
  ledger = new FakeLedger();
  mockServices = { ledger, config: {} };
  mockConfig = { ...BASE };
  mockSend.mockReset();
  mockSend.mockResolvedValue({ verdict: "delivered", status: 204, reason: "204 No Content" });
});

const post = async (): Promise<unknown> =>
  (
    await invoker.invoke("postCallback", {
      requestId: "REQ-1",
      callbackUrl: "https://tickets.contoso.com/hook?token=t",
      body: '{"requestId":"REQ-1"}',
    })
  ).returnValue;

describe("postCallback", () => {
  it("sends the body signed under the configured rules and answers the verdict with the retry window", async () => {
    expect(await post()).toEqual({
      verdict: "delivered",
      status: 204,
      reason: "204 No Content",
      retryWindowMs: 7_200_000,
    });
    expect(mockSend).toHaveBeenCalledTimes(1);
    expect(mockSend).toHaveBeenCalledWith("https://tickets.contoso.com/hook?token=t", '{"requestId":"REQ-1"}', {
      allowlist: ["tickets.contoso.com"],
      loopbackAllowed: false,
      secret: BASE.TICKETING_SHARED_SECRET,
      timeoutMs: 4_000,
      userAgent: `p2s-lifecycle/${APP_VERSION}`,
    });
  });

  it("allows loopback with the local emulator credential, and trusts the configured extra CA", async () => {
    const dir = mkdtempSync(join(tmpdir(), "p2s-callback-ca-"));
    const file = join(dir, "ca.pem");
    writeFileSync(file, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    mockConfig = { ...BASE, P2S_CREDENTIAL: "localEmulator", P2S_TRUSTED_CA_FILE: file };
    try {
      await post();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((mockSend.mock.calls[0] as unknown[])[2]).toMatchObject({
      loopbackAllowed: true,
      extraCa: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    });
  });

  it("refuses without sending when no shared secret is set", async () => {
    const { TICKETING_SHARED_SECRET: _s, ...unsigned } = BASE;
    mockConfig = unsigned;
    expect(await post()).toEqual({
      verdict: "refused",
      reason: "TICKETING_SHARED_SECRET is not set: callbacks cannot be signed",
      retryWindowMs: 7_200_000,
    });
    expect(mockSend).not.toHaveBeenCalled();
  });
});

describe("auditCallbackAttempt", () => {
  const attempt = {
    requestId: "REQ-1",
    ticketId: "T-9",
    source: "ticket",
    actor: "ticket:T-9",
    subject: "ada@contoso.com",
    attempt: 2,
    at: "2030-01-01T10:00:00.000Z",
    action: "callback.failed",
    reason: "503 Service Unavailable",
    status: 503,
    origin: "https://tickets.contoso.com",
  };

  it("writes one row keyed by request and attempt, at the attempt's time, with the status and origin", async () => {
    expect((await invoker.invoke("auditCallbackAttempt", attempt)).returnValue).toBeNull();
    expect(ledger.audit).toEqual([
      {
        id: "callback:REQ-1:2",
        at: new Date("2030-01-01T10:00:00.000Z"),
        actor: "ticket:T-9",
        action: "callback.failed",
        subject: "ada@contoso.com",
        reason: "503 Service Unavailable",
        source: "ticket",
        requestId: "REQ-1",
        details: { ticketId: "T-9", attempt: 2, status: 503, origin: "https://tickets.contoso.com" },
      },
    ]);
  });

  it("keys the closing entry `abandoned` and records a status of 0 when the receiver never answered", async () => {
    const { status: _s, ...unanswered } = attempt;
    await invoker.invoke("auditCallbackAttempt", { ...unanswered, attempt: 0, action: "callback.abandoned" });
    expect(ledger.audit[0]).toMatchObject({
      id: "callback:REQ-1:abandoned",
      details: { attempt: 0, status: 0 },
    });
  });
});
