// A standalone secret's life through the real SecretClient, as the one-time delivery passphrase lives it: set with
// an expiry, read, refused once expired (the documented reading; a guess, see the README), soft-deleted, invisible,
// its name blocked until purged, purged, recoverable when not purged; a disabled secret refused.
import { RestError } from "@azure/core-rest-pipeline";
import { createVirtualClock } from "../../../dev/emulators/framework";
import { startHarness, POLL } from "./harness";
import type { Harness } from "./harness";

const clock = createVirtualClock(Date.UTC(2026, 11, 6, 12));
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock, retentionDays: 7 });
});

afterAll(async () => {
  await h.stop();
});

async function failure(promise: Promise<unknown>): Promise<RestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RestError)) throw new Error(`expected a RestError, got ${String(error)}`);
  return error;
}

// The SDK hands Key Vault's `innererror` on as `innerError`.
const inner = (error: RestError): unknown =>
  (error.details as { error?: { innerError?: { code?: string } } } | undefined)?.error?.innerError?.code;

describe("standalone secret lifecycle", () => {
  it("keeps exp and nbf, reads inside them, and refuses outside (403 SecretExpired / SecretNotYetValid)", async () => {
    const expiresOn = new Date(clock.now() + 3_600_000);
    const set = await h.secrets.setSecret("pass-exp", "one-time", { expiresOn, contentType: "text/plain" });
    expect(set.properties.expiresOn?.toISOString()).toBe(expiresOn.toISOString());
    const read = await h.secrets.getSecret("pass-exp");
    expect(read.value).toBe("one-time");
    expect(read.properties.expiresOn?.toISOString()).toBe(expiresOn.toISOString());

    clock.advance(3_600_000);
    const expired = await failure(h.secrets.getSecret("pass-exp"));
    expect(expired.statusCode).toBe(403);
    expect(expired.code).toBe("Forbidden");
    expect(inner(expired)).toBe("SecretExpired");
    // The reading Key Vault was seen to follow: the value past exp.
    h.vault.vault.setExpiredSecretReads("allowed");
    expect((await h.secrets.getSecret("pass-exp")).value).toBe("one-time");
    h.vault.vault.setExpiredSecretReads("refused");

    await h.secrets.setSecret("pass-nbf", "later", { notBefore: new Date(clock.now() + 60_000) });
    const early = await failure(h.secrets.getSecret("pass-nbf"));
    expect(early.statusCode).toBe(403);
    expect(inner(early)).toBe("SecretNotYetValid");
  });

  it("refuses a disabled secret's value (403 SecretDisabled)", async () => {
    await h.secrets.setSecret("pass-off", "x", { enabled: false });
    const error = await failure(h.secrets.getSecret("pass-off"));
    expect(error.statusCode).toBe(403);
    expect(inner(error)).toBe("SecretDisabled");
  });

  it("soft-deletes: gone from get, listed as deleted without its value, name blocked until purged", async () => {
    await h.secrets.setSecret("pass-del", "secret-value", { expiresOn: new Date(clock.now() + 3_600_000) });
    const poller = await h.secrets.beginDeleteSecret("pass-del", POLL);
    const deleted = await poller.pollUntilDone();
    expect(deleted.recoveryId).toMatch(/\/deletedsecrets\/pass-del$/);
    expect(deleted.value).toBeUndefined();
    expect(deleted.scheduledPurgeDate?.getTime()).toBe((deleted.deletedOn?.getTime() ?? 0) + 7 * 86_400_000);
    expect((await failure(h.secrets.getSecret("pass-del"))).statusCode).toBe(404);
    expect(h.vault.vault.deletedSecretNames()).toContain("pass-del");
    const fetched = await h.secrets.getDeletedSecret("pass-del");
    expect(fetched.value).toBeUndefined();

    const reuse = await failure(h.secrets.setSecret("pass-del", "again"));
    expect(reuse.statusCode).toBe(409);
    expect(inner(reuse)).toBe("ObjectIsDeletedButRecoverable");

    await h.secrets.purgeDeletedSecret("pass-del");
    expect(h.vault.vault.deletedSecretNames()).not.toContain("pass-del");
    expect((await failure(h.secrets.getDeletedSecret("pass-del"))).statusCode).toBe(404);
    expect((await failure(h.secrets.purgeDeletedSecret("pass-del"))).statusCode).toBe(404);
    expect((await h.secrets.setSecret("pass-del", "again")).value).toBe("again");
  });

  it("deleting an unknown secret is 404; a deleted one can be recovered, and is purged after retention", async () => {
    expect((await failure(h.secrets.beginDeleteSecret("pass-none", POLL))).statusCode).toBe(404);
    await h.secrets.setSecret("pass-rec", "v1");
    await (await h.secrets.beginDeleteSecret("pass-rec", POLL)).pollUntilDone();
    await (await h.secrets.beginRecoverDeletedSecret("pass-rec", POLL)).pollUntilDone();
    expect((await h.secrets.getSecret("pass-rec")).value).toBe("v1");

    await (await h.secrets.beginDeleteSecret("pass-rec", POLL)).pollUntilDone();
    clock.advance(7 * 86_400_000);
    expect(h.vault.vault.deletedSecretNames()).not.toContain("pass-rec");
    expect((await h.secrets.setSecret("pass-rec", "v2")).value).toBe("v2");
  });
});
