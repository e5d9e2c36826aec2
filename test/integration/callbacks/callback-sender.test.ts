// The callback sender against a real HTTPS receiver on loopback (certificate from a test CA): signature, verdicts,
// redirects, DNS answers checked and pinned, time limit, unread bodies.
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { sendSignedCallback } from "../../../src/clients/callback-sender";
import type { CallbackSenderOptions, Resolve } from "../../../src/clients/callback-sender";
import { checkSignature } from "../../../src/domain/request-signature";
import { startCallbackReceiver } from "../../support/callback-receiver";
import type { CallbackReceiver } from "../../support/callback-receiver";

const SECRET = "callback-secret-0123456789abcdef-xyz";
const BODY = JSON.stringify({ requestId: "req-1", ticketId: "INC0012345", status: "Completed" });

let ca: EmulatorCa;
let receiver: CallbackReceiver;

beforeAll(async () => {
  ca = await createEmulatorCa();
});

beforeEach(async () => {
  receiver = await startCallbackReceiver(ca);
});

afterEach(async () => {
  await receiver.stop();
});

/** The sandbox's options: loopback receivers allowed, the test CA trusted, the receiver's origin allowlisted. */
function sandboxOptions(overrides: Partial<CallbackSenderOptions> = {}): CallbackSenderOptions {
  return {
    allowlist: [receiver.url, `https://localhost:${String(receiver.port)}`],
    loopbackAllowed: true,
    secret: SECRET,
    timeoutMs: 5_000,
    extraCa: ca.certPem,
    ...overrides,
  };
}

describe("sendSignedCallback", () => {
  it("POSTs the body signed so that the receiver's checkSignature accepts it", async () => {
    const attempt = await sendSignedCallback(`${receiver.url}/api/callbacks?ticket=INC0012345`, BODY, sandboxOptions());
    expect(attempt).toEqual({ verdict: "delivered", status: 200, reason: "the receiver accepted it (200)" });
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0];
    expect(got?.method).toBe("POST");
    expect(got?.path).toBe("/api/callbacks?ticket=INC0012345");
    expect(got?.headers["content-type"]).toBe("application/json");
    expect(got?.rawBody.toString("utf8")).toBe(BODY);
    const check = checkSignature(
      [SECRET],
      got?.headers["x-request-timestamp"] as string,
      got?.headers["x-signature-256"] as string,
      got?.rawBody ?? "",
      Date.now(),
    );
    expect(check).toEqual({ ok: true, secretIndex: 0 });
    // Signed with this secret and no other.
    expect(
      checkSignature(
        ["another-secret-0123456789abcdef-xyz"],
        got?.headers["x-request-timestamp"] as string,
        got?.headers["x-signature-256"] as string,
        got?.rawBody ?? "",
        Date.now(),
      ).ok,
    ).toBe(false);
  });

  it("asks for a retry on 503 (with its Retry-After), 500, 408 and 429, and delivers when the receiver recovers", async () => {
    receiver.script(
      { status: 503, headers: { "retry-after": "120" } },
      { status: 500 },
      { status: 408 },
      { status: 429, headers: { "retry-after": "999999" } },
      { status: 204 },
    );
    const verdicts = [];
    for (let i = 0; i < 5; i += 1)
      verdicts.push(await sendSignedCallback(`${receiver.url}/cb`, BODY, sandboxOptions()));
    expect(verdicts.map((v) => [v.verdict, v.status, v.retryAfterMs])).toEqual([
      ["retry", 503, 120_000],
      ["retry", 500, undefined],
      ["retry", 408, undefined],
      // Capped at the longest backoff wait, an hour.
      ["retry", 429, 3_600_000],
      ["delivered", 204, undefined],
    ]);
    expect(receiver.received).toHaveLength(5);
  });

  it.each([400, 401, 403, 404, 410, 422])("stops on %i: the receiver refused the callback", async (status) => {
    receiver.script({ status });
    const attempt = await sendSignedCallback(`${receiver.url}/cb`, BODY, sandboxOptions());
    expect(attempt).toEqual({ verdict: "refused", status, reason: `the receiver refused it (${String(status)})` });
  });

  it.each([301, 302, 303, 307, 308])("does not follow a %i redirect, and counts it as refused", async (status) => {
    receiver.script({ status, headers: { location: `${receiver.url}/elsewhere` } });
    const attempt = await sendSignedCallback(`${receiver.url}/cb`, BODY, sandboxOptions());
    expect(attempt.verdict).toBe("refused");
    expect(attempt.reason).toMatch(/redirect .* not followed/);
    expect(receiver.received.map((r) => r.path)).toEqual(["/cb"]);
  });

  it("refuses a name that resolves to a private, link-local or loopback address, before connecting", async () => {
    const origin = `https://hooks.contoso.com:${String(receiver.port)}`;
    for (const answer of [
      [{ address: "10.1.2.3", family: 4 }],
      [{ address: "169.254.169.254", family: 4 }],
      [{ address: "127.0.0.1", family: 4 }],
      [{ address: "fd00::5", family: 6 }],
      [{ address: "::ffff:127.0.0.1", family: 6 }],
      // One bad address among good ones is enough to refuse: the connection might pick it.
      [
        { address: "20.50.2.1", family: 4 },
        { address: "192.168.1.10", family: 4 },
      ],
    ]) {
      const resolve: Resolve = () => Promise.resolve(answer);
      for (const loopbackAllowed of [false, true]) {
        const attempt = await sendSignedCallback(`${origin}/cb`, BODY, {
          ...sandboxOptions({ allowlist: [origin], loopbackAllowed, resolve }),
        });
        expect(attempt.verdict).toBe("refused");
        expect(attempt.reason).toMatch(/^callbackUrl host hooks\.contoso\.com resolves to /);
      }
    }
    expect(receiver.received).toEqual([]);
  });

  it("connects to the address it checked, not to a second resolution of the name (DNS rebinding)", async () => {
    // The receiver listens on 127.0.0.2 only; the system resolver answers 127.0.0.1 for localhost. Only a connection
    // pinned to the checked answer reaches it, and the injected resolver is asked once.
    const pinned = await startCallbackReceiver(ca, { host: "127.0.0.2" });
    try {
      const answers = [[{ address: "127.0.0.2", family: 4 }], [{ address: "10.0.0.1", family: 4 }]];
      let calls = 0;
      const resolve: Resolve = () => Promise.resolve(answers[Math.min(calls++, 1)] ?? []);
      const url = `https://localhost:${String(pinned.port)}/cb`;
      const attempt = await sendSignedCallback(
        url,
        BODY,
        sandboxOptions({ allowlist: [new URL(url).origin], resolve }),
      );
      expect(attempt.verdict).toBe("delivered");
      expect(calls).toBe(1);
      expect(pinned.received).toHaveLength(1);
      expect(pinned.received[0]?.headers.host).toBe(`localhost:${String(pinned.port)}`);
    } finally {
      await pinned.stop();
    }
  });

  it("re-checks the URL at send time: an origin since removed from the allowlist is refused unsent", async () => {
    const attempt = await sendSignedCallback(`${receiver.url}/cb`, BODY, sandboxOptions({ allowlist: [] }));
    expect(attempt.verdict).toBe("refused");
    expect(attempt.reason).toMatch(/TICKETING_CALLBACK_ALLOWLIST/);
    expect(receiver.received).toEqual([]);
  });

  it("never calls a loopback receiver outside the sandbox, whatever the allowlist says", async () => {
    for (const url of [`${receiver.url}/cb`, `https://localhost:${String(receiver.port)}/cb`]) {
      const attempt = await sendSignedCallback(url, BODY, sandboxOptions({ loopbackAllowed: false }));
      expect(attempt.verdict).toBe("refused");
    }
    expect(receiver.received).toEqual([]);
  });

  it("verifies the receiver's certificate: a CA it does not trust is a failed attempt, retried", async () => {
    const { extraCa: _trusted, ...untrusting } = sandboxOptions();
    const attempt = await sendSignedCallback(`${receiver.url}/cb`, BODY, untrusting);
    expect(attempt.verdict).toBe("retry");
    expect(attempt.reason).toMatch(/could not be reached: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)/);
    expect(receiver.received).toEqual([]);
  });

  it("gives up an attempt at its time limit and asks for a retry", async () => {
    receiver.script({ hang: true });
    const attempt = await sendSignedCallback(`${receiver.url}/cb`, BODY, sandboxOptions({ timeoutMs: 300 }));
    expect(attempt).toEqual({
      verdict: "retry",
      reason: "the receiver could not be reached: no answer within 300 ms",
    });
  });

  it("does not read the answer's body: a huge body is cut off", async () => {
    const total = 256 * 1024 * 1024;
    receiver.script({ status: 200, bodyBytes: total });
    const attempt = await sendSignedCallback(`${receiver.url}/cb`, BODY, sandboxOptions());
    expect(attempt.verdict).toBe("delivered");
    // The receiver's writes stop once the socket is closed: far less than the body it meant to send went out.
    await waitFor(() => receiver.streamedBytes.length === 1 && (receiver.streamedBytes[0] ?? 0) > 0, "streamed body");
    expect(receiver.streamedBytes[0]).toBeLessThan(total / 4);
  });
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
