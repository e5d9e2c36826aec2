// Small pure rules: busy-service backoff, the shared health report cache, PKCS#12 passphrases, writer instance ids.
import { GATEWAY_BUSY_BACKOFF, backoffDelayMs } from "../../../src/domain/backoff";
import { HealthCache } from "../../../src/domain/health-cache";
import { GATEWAY_WRITER_PREFIX, gatewayWriterInstanceId } from "../../../src/domain/gateway-writer-id";
import { writerInput } from "../../../src/domain/gateway-writer-input";
import { generatePassphrase } from "../../../src/domain/passphrase";

describe("backoffDelayMs", () => {
  const policy = { firstMs: 1000, maxMs: 10_000, factor: 3 };

  it("waits the first interval on the first attempt, and on any attempt number below one", () => {
    expect(backoffDelayMs(policy, 1)).toBe(1000);
    expect(backoffDelayMs(policy, 0)).toBe(1000);
    expect(backoffDelayMs(policy, -2)).toBe(1000);
  });

  it("grows by the factor per attempt up to the cap", () => {
    expect([2, 3, 4, 10].map((attempt) => backoffDelayMs(policy, attempt))).toEqual([3000, 9000, 10_000, 10_000]);
  });

  it("never waits less than the service's Retry-After, which may exceed the cap", () => {
    expect(backoffDelayMs(policy, 1, 4000)).toBe(4000);
    expect(backoffDelayMs(policy, 3, 4000)).toBe(9000);
    expect(backoffDelayMs(policy, 9, 60_000)).toBe(60_000);
  });

  it("backs off a busy gateway from 15 s, doubling, to 5 minutes", () => {
    expect(GATEWAY_BUSY_BACKOFF).toEqual({ firstMs: 15_000, maxMs: 300_000, factor: 2 });
    expect([1, 2, 5, 6, 7].map((attempt) => backoffDelayMs(GATEWAY_BUSY_BACKOFF, attempt))).toEqual([
      15_000, 30_000, 240_000, 300_000, 300_000,
    ]);
  });
});

describe("HealthCache", () => {
  function setup(): { cache: HealthCache<string>; clock: { ms: number }; produce: jest.Mock<Promise<string>, []> } {
    const clock = { ms: 1000 };
    let n = 0;
    const produce = jest.fn(() => Promise.resolve(`report ${++n}`));
    return { cache: new HealthCache<string>(() => clock.ms), clock, produce };
  }

  it("shares one report within the time to live and probes afresh once it has passed", async () => {
    const { cache, clock, produce } = setup();
    await expect(cache.get("k", 5000, produce)).resolves.toBe("report 1");
    clock.ms += 4999;
    await expect(cache.get("k", 5000, produce)).resolves.toBe("report 1");
    clock.ms += 1;
    await expect(cache.get("k", 5000, produce)).resolves.toBe("report 2");
    expect(produce).toHaveBeenCalledTimes(2);
  });

  it("probes afresh when the key (the configuration) changed", async () => {
    const { cache, produce } = setup();
    await cache.get("a", 5000, produce);
    await expect(cache.get("b", 5000, produce)).resolves.toBe("report 2");
    await expect(cache.get("b", 5000, produce)).resolves.toBe("report 2");
  });

  it("shares a probe still in flight", async () => {
    const { cache, produce } = setup();
    const [first, second] = [cache.get("k", 5000, produce), cache.get("k", 5000, produce)];
    expect(second).toBe(first);
    await first;
    expect(produce).toHaveBeenCalledTimes(1);
  });

  it("refresh probes now and serves its result to the callers that follow", async () => {
    const { cache, clock, produce } = setup();
    await cache.get("k", 5000, produce);
    clock.ms += 10;
    await expect(cache.refresh("k", produce)).resolves.toBe("report 2");
    clock.ms += 4995;
    await expect(cache.get("k", 5000, produce)).resolves.toBe("report 2");
  });

  it("measures with the monotonic clock by default", async () => {
    const spy = jest.spyOn(performance, "now").mockReturnValue(50);
    const cache = new HealthCache<string>();
    const produce = jest.fn(() => Promise.resolve("r"));
    await cache.get("k", 10, produce);
    spy.mockReturnValue(59);
    await cache.get("k", 10, produce);
    spy.mockReturnValue(60);
    await cache.get("k", 10, produce);
    expect(produce).toHaveBeenCalledTimes(2);
    spy.mockRestore();
  });
});

describe("generatePassphrase", () => {
  it("is 24 base64url characters (144 random bits), different each time", () => {
    const phrases = Array.from({ length: 20 }, generatePassphrase);
    for (const phrase of phrases) expect(phrase).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(new Set(phrases).size).toBe(20);
  });
});

describe("gatewayWriterInstanceId", () => {
  const id = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/VPN_gw.1";

  it("names the writer after the gateway (lower case, odd characters as hyphens) with a 16-digit hash of its id", () => {
    expect(gatewayWriterInstanceId(id)).toMatch(/^gateway-writer-vpn-gw-1-[0-9a-f]{16}$/);
  });

  it("stays the same across releases: a running writer is found again by this id", () => {
    // SHA-256 of the lower-cased resource id, first 16 hex digits (pinned: a change would orphan running writers).
    expect(gatewayWriterInstanceId(id)).toBe("gateway-writer-vpn-gw-1-1705921eeb7bef15");
  });

  it("is one writer per gateway whatever the case of its resource id, and differs between gateways", () => {
    expect(gatewayWriterInstanceId(id.toUpperCase())).toBe(gatewayWriterInstanceId(id));
    expect(gatewayWriterInstanceId(id.replace("/rg/", "/rg2/"))).not.toBe(gatewayWriterInstanceId(id));
  });

  it("keeps at most 40 characters of the gateway's name", () => {
    const long = gatewayWriterInstanceId(`${id.slice(0, id.lastIndexOf("/"))}/${"a".repeat(50)}`);
    expect(long).toMatch(new RegExp(`^${GATEWAY_WRITER_PREFIX}${"a".repeat(40)}-[0-9a-f]{16}$`));
  });
});

describe("writerInput", () => {
  it("passes the gateway and its timings from configuration, and nothing carried from an earlier generation", () => {
    const settings = { GATEWAY_BUSY_BACKOFF_MS: 15_000, GATEWAY_COALESCE_MS: 2_000, GATEWAY_BUSY_ALERT_MS: 900_000 };
    expect(writerInput(settings, "/subscriptions/s/gw")).toEqual({
      gatewayId: "/subscriptions/s/gw",
      busyBackoffMs: 15_000,
      coalesceMs: 2_000,
      busyAlertMs: 900_000,
    });
  });
});
