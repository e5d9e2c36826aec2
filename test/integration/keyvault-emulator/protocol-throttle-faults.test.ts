// How the emulator talks: Key Vault's bearer challenge, api-version checks, the throttling model (a bare 429 by
// default, which the SDK does not retry; Retry-After when a test asks), injected faults and the statistics.
import { createVirtualClock } from "../../../dev/emulators/framework";
import { KeyVaultThrottle } from "../../../dev/emulators/keyvault/throttle-model";
import { RecordingCredential, httpsRequest } from "../../support/emulator-clients";
import { POLL, selfPolicy, startHarness, uniqueCertName } from "./harness";
import type { Harness } from "./harness";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

beforeEach(() => {
  h.vault.stats.reset();
  h.vault.faults.clear();
  h.vault.throttle.disable();
});

describe("protocol", () => {
  it("challenges the SDK's first, bodiless request and then serves it with the body", async () => {
    const credential = new RecordingCredential();
    const client = h.newCertificateClient(credential);
    await (await client.beginCreateCertificate(uniqueCertName("challenge"), selfPolicy(), POLL)).pollUntilDone();
    const create = h.vault.stats.operation("certificates.create");
    expect(create).toMatchObject({ unauthenticated: 1, handled: 1 });
    expect(create.byStatus).toEqual({ "401": 1, "202": 1 });
    expect(credential.requests[0]?.scopes).toEqual(["https://vault.azure.net/.default"]);
  });

  it("accepts 7.x and dated api-versions and refuses others", async () => {
    const base = `${h.vault.url}/certificates`;
    const options = { ca: h.ca.certPem, token: "t" };
    expect((await httpsRequest(`${base}?api-version=7.5`, options)).status).toBe(200);
    expect((await httpsRequest(`${base}?api-version=2025-07-01`, options)).status).toBe(200);
    const refused = await httpsRequest(`${base}?api-version=6.0`, options);
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: { code: "BadParameter" } });
  });
});

describe("throttling", () => {
  it("answers a bare 429 by default (Key Vault's body, no Retry-After), which reaches the SDK's caller at once", async () => {
    const local = await startHarness({
      clock: createVirtualClock(Date.now()),
      throttle: { limits: { windowMs: 10_000, keyCreate: { 2048: 1, 3072: 1, 4096: 1 } } },
    });
    try {
      await (
        await local.certificates.beginCreateCertificate(uniqueCertName("bare"), selfPolicy(), POLL)
      ).pollUntilDone();
      const error = await local.certificates.beginCreateCertificate(uniqueCertName("bare"), selfPolicy(), POLL).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({ statusCode: 429, code: "Throttled" });
      // One 429 only: the SDK's retry policy retries a 429 only when it carries a retry-after header.
      expect(local.vault.stats.operation("certificates.create").byStatus["429"]).toBe(1);
      const raw = await httpsRequest(`${local.vault.url}/certificates/raw-bare/create?api-version=7.5`, {
        method: "POST",
        ca: local.ca.certPem,
        token: "t",
        body: { policy: { issuer: { name: "Self" }, x509_props: { subject: "CN=raw" } } },
      });
      expect(raw.status).toBe(429);
      expect(raw.headers["retry-after"]).toBeUndefined();
      expect(raw.json).toEqual({
        error: {
          code: "Throttled",
          message: expect.stringContaining(
            "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
          ) as string,
        },
      });
    } finally {
      await local.stop();
    }
  });

  it("answers 429 with Retry-After when asked to, and the SDK's own retry then succeeds", async () => {
    // A frozen clock keeps all creates in one window however long key generation takes; it moves on only when the
    // emulator has answered 429, so the SDK's retry (after Retry-After: 1) lands in a fresh window.
    const clock = createVirtualClock(Date.now());
    const local = await startHarness({
      clock,
      throttle: { limits: { windowMs: 1000, keyCreate: { 2048: 2, 3072: 2, 4096: 2 } }, retryAfter: true },
      log: (line) => {
        if (line.includes("certificates.create -> 429")) clock.advance(1000);
      },
    });
    try {
      const create = async () =>
        (
          await local.certificates.beginCreateCertificate(uniqueCertName("throttle"), selfPolicy(), POLL)
        ).pollUntilDone();
      await create();
      await create();
      const third = await create();
      expect(third.cer).toBeDefined();
      const stats = local.vault.stats.operation("certificates.create");
      expect(stats.byStatus).toEqual({ "401": 1, "202": 3, "429": 1 });

      // Over budget again (2 per window): the raw answer carries the code and Retry-After.
      await create();
      const raw = await httpsRequest(`${local.vault.url}/certificates/raw-throttled/create?api-version=7.5`, {
        method: "POST",
        ca: local.ca.certPem,
        token: "t",
        body: { policy: { issuer: { name: "Self" }, x509_props: { subject: "CN=raw" } } },
      });
      expect(raw.status).toBe(429);
      expect(raw.headers["retry-after"]).toBe("1");
      expect(raw.json).toMatchObject({ error: { code: "Throttled" } });
    } finally {
      await local.stop();
    }
  });

  it("weights key transactions by key size and shares one budget per window", () => {
    const clock = createVirtualClock();
    const throttle = new KeyVaultThrottle(() => clock.now(), { limits: { windowMs: 10_000 }, scale: 0.01 });
    // Scaled: 40 RSA-2048 signs or 5 RSA-4096 signs per 10 s; one 4096 sign costs 8 of the 2048 ones.
    const rsa4096 = { pool: "keyOther", keySize: 4096, hsm: false } as const;
    const rsa2048 = { pool: "keyOther", keySize: 2048, hsm: false } as const;
    for (let i = 0; i < 4; i += 1) expect(throttle.charge(rsa4096).admitted).toBe(true);
    for (let i = 0; i < 8; i += 1) expect(throttle.charge(rsa2048).admitted).toBe(true);
    const refused = throttle.charge(rsa2048);
    expect(refused).toMatchObject({ admitted: false, retryAfterSeconds: 10, pool: "keyOther" });
    // Other budgets are separate.
    expect(throttle.charge({ pool: "other" }).admitted).toBe(true);
    clock.advance(10_001);
    expect(throttle.charge(rsa4096).admitted).toBe(true);
  });

  it("applies the documented limits by default", () => {
    const throttle = new KeyVaultThrottle(() => 0, undefined);
    expect(throttle.limits()).toMatchObject({
      windowMs: 10_000,
      keyCreate: { 2048: 20 },
      keyOther: { 2048: 4000, 4096: 500 },
      secretCreate: 300,
      other: 4000,
    });
    for (let i = 0; i < 20; i += 1) {
      expect(throttle.charge({ pool: "keyCreate", keySize: 2048, hsm: false }).admitted).toBe(true);
    }
    expect(throttle.charge({ pool: "keyCreate", keySize: 2048, hsm: false }).admitted).toBe(false);
  });
});

describe("faults", () => {
  it("injects a retryable 503 that the SDK rides over, visible in the statistics", async () => {
    const created = await (
      await h.certificates.beginCreateCertificate(uniqueCertName("fault"), selfPolicy(), POLL)
    ).pollUntilDone();
    h.vault.faults.add({
      operation: "keys.sign",
      status: 503,
      code: "ServiceUnavailable",
      retryAfterSeconds: 0,
      count: 1,
    });
    const signed = await h.cryptography(created.keyId!).sign("RS256", Buffer.alloc(32, 7));
    expect(signed.result.length).toBe(256);
    expect(h.vault.stats.operation("keys.sign")).toMatchObject({ faulted: 1, handled: 1 });
    expect(h.vault.faults.list()).toEqual([]);
  });

  it("injects a 409 that surfaces to the caller and shows through the HTTP control endpoint", async () => {
    h.vault.faults.add({ operation: "certificates.create", status: 409, code: "Conflict", message: "injected" });
    await expect(
      h.certificates.beginCreateCertificate(uniqueCertName("fault409"), selfPolicy(), POLL),
    ).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
    const stats = await httpsRequest(`${h.vault.url}/_emulator/stats`, { ca: h.ca.certPem });
    expect(stats.json).toMatchObject({ operations: { "certificates.create": { faulted: 1 } } });
  });
});
