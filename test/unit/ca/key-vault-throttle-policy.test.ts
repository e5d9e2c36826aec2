// The app's backoff for Key Vault's 429s: bare ones (which the SDK never retries) are sent again after 1, 2, 4 s ...
// (with jitter, capped), a longer Retry-After wins, and after the bounded retries the 429 reaches the caller.
import { createHttpHeaders, createPipelineRequest } from "@azure/core-rest-pipeline";
import type { PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import {
  KEY_VAULT_THROTTLE_BACKOFF,
  keyVaultThrottlePolicy,
  throttleDelayMs,
} from "../../../src/clients/key-vault-throttle-policy";
import type { KeyVaultClock } from "../../../src/clients/key-vault-throttle-policy";

function recordingClock(): KeyVaultClock & { readonly sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, now: () => 0, sleep: (ms) => (sleeps.push(ms), Promise.resolve()) };
}

function answers(...statuses: { status: number; retryAfter?: string }[]): { next: SendRequest; calls: () => number } {
  let calls = 0;
  const next: SendRequest = (request) => {
    const answer = statuses[Math.min(calls, statuses.length - 1)] ?? { status: 200 };
    calls += 1;
    const headers = createHttpHeaders(answer.retryAfter === undefined ? {} : { "retry-after": answer.retryAfter });
    return Promise.resolve<PipelineResponse>({ request, status: answer.status, headers });
  };
  return { next, calls: () => calls };
}

const request = () => createPipelineRequest({ url: "https://vault.example/keys/x/1/sign", method: "POST" });

describe("Key Vault throttle backoff", () => {
  it("sends a request refused with a bare 429 again after about a second", async () => {
    const clock = recordingClock();
    const { next, calls } = answers({ status: 429 }, { status: 202 });
    const response = await keyVaultThrottlePolicy(clock).sendRequest(request(), next);
    expect(response.status).toBe(202);
    expect(calls()).toBe(2);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(1_000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(1_500);
  });

  it("doubles the wait up to its cap, and lets the 429 through after its bounded retries", async () => {
    const clock = recordingClock();
    const { next, calls } = answers({ status: 429 });
    const response = await keyVaultThrottlePolicy(clock).sendRequest(request(), next);
    expect(response.status).toBe(429);
    expect(calls()).toBe(KEY_VAULT_THROTTLE_BACKOFF.retries + 1);
    const bases = [1, 2, 4, 8, 16, 32, 32, 32].map((s) => s * 1000);
    expect(clock.sleeps).toHaveLength(bases.length);
    clock.sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(bases[i] ?? 0);
      expect(ms).toBeLessThanOrEqual((bases[i] ?? 0) * 1.5);
    });
  });

  it("waits for a longer Retry-After, and leaves other answers alone", async () => {
    const clock = recordingClock();
    const throttled = answers({ status: 429, retryAfter: "20" }, { status: 200 });
    expect((await keyVaultThrottlePolicy(clock).sendRequest(request(), throttled.next)).status).toBe(200);
    expect(clock.sleeps).toEqual([20_000]);
    const refused = answers({ status: 409 });
    expect((await keyVaultThrottlePolicy(clock).sendRequest(request(), refused.next)).status).toBe(409);
    expect(refused.calls()).toBe(1);
  });

  it("never sends a certificate create again: its 429 goes back to the caller, which re-reads the vault first", async () => {
    const clock = recordingClock();
    const { next, calls } = answers({ status: 429 }, { status: 202 });
    const create = createPipelineRequest({ url: "https://vault.example/certificates/x/create", method: "POST" });
    const response = await keyVaultThrottlePolicy(clock).sendRequest(create, next);
    expect(response.status).toBe(429);
    expect(calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
    // Other certificate requests are still ridden out.
    const merge = answers({ status: 429 }, { status: 201 });
    const pending = createPipelineRequest({
      url: "https://vault.example/certificates/x/pending/merge",
      method: "POST",
    });
    expect((await keyVaultThrottlePolicy(clock).sendRequest(pending, merge.next)).status).toBe(201);
  });

  it("spreads waits with jitter within [base, 1.5 base]", () => {
    expect(throttleDelayMs(KEY_VAULT_THROTTLE_BACKOFF, 0, () => 0)).toBe(1_000);
    expect(throttleDelayMs(KEY_VAULT_THROTTLE_BACKOFF, 2, () => 0.999)).toBe(5_998);
    expect(throttleDelayMs(KEY_VAULT_THROTTLE_BACKOFF, 10, () => 0)).toBe(32_000);
  });
});
