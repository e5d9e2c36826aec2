// What a callback receiver's answer means, and the waits between attempts.
import fc from "fast-check";
import { backoffDelayMs } from "../../../src/domain/backoff";
import { CALLBACK_BACKOFF, retryAfterMs, verdictOf } from "../../../src/domain/callback-policy";

describe("callback verdicts", () => {
  it("delivers on 2xx, refuses on redirects and on 4xx other than 408 and 429, retries the rest", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), (status) => {
        const expected =
          status >= 200 && status < 300
            ? "delivered"
            : status >= 300 && status < 500 && status !== 408 && status !== 429
              ? "refused"
              : "retry";
        expect(verdictOf(status)).toBe(expected);
      }),
    );
    expect([200, 202, 204, 302, 400, 408, 429, 500, 503].map(verdictOf)).toEqual([
      "delivered",
      "delivered",
      "delivered",
      "refused",
      "refused",
      "retry",
      "retry",
      "retry",
      "retry",
    ]);
  });

  it("draws the lines at 300 and 400 exactly", () => {
    expect([199, 299, 300, 399, 400].map(verdictOf)).toEqual(["retry", "delivered", "refused", "refused", "refused"]);
  });

  it("takes only whole strings of up to nine digits as seconds, and only text naming a month as a date", () => {
    const now = Date.UTC(2026, 11, 6, 12, 0, 0);
    expect(retryAfterMs("120s", now)).toBeUndefined();
    expect(retryAfterMs("1234567890", now)).toBeUndefined();
    // Date.parse reads these as dates, but a Retry-After date names its month.
    expect(retryAfterMs("2026-12-06T12:01:00Z", now)).toBeUndefined();
    expect(retryAfterMs("12 06 2026 x", now)).toBeUndefined();
  });

  it("reads Retry-After as seconds or an HTTP date, capped at an hour, and ignores anything else", () => {
    const now = Date.UTC(2026, 11, 6, 12, 0, 0);
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs(" 0 ", now)).toBe(0);
    expect(retryAfterMs("86400", now)).toBe(3_600_000);
    expect(retryAfterMs(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(retryAfterMs(new Date(now - 90_000).toUTCString(), now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs("-5", now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it("waits 30 s, doubling, at most an hour, and never less than the receiver asked", () => {
    expect([1, 2, 3, 4, 7, 8, 30].map((n) => backoffDelayMs(CALLBACK_BACKOFF, n))).toEqual([
      30_000, 60_000, 120_000, 240_000, 1_920_000, 3_600_000, 3_600_000,
    ]);
    expect(backoffDelayMs(CALLBACK_BACKOFF, 1, 600_000)).toBe(600_000);
  });
});
