// The one-time passphrase as a Key Vault secret: stored with an expiry (exp) equal to the delivery's, read once,
// then deleted and purged so not even a soft-deleted copy remains (where the identity may purge).
import { RestError } from "@azure/core-rest-pipeline";
import type { SecretClient } from "@azure/keyvault-secrets";

/** Poll interval of the delete poller (Key Vault's delete is quick; the SDK's default waits 2 s between polls). */
const DELETE_POLL_MS = 250;

export async function storePassphrase(
  secrets: SecretClient,
  name: string,
  passphrase: string,
  expiresOn: Date,
  requestId: string,
): Promise<void> {
  await secrets.setSecret(name, passphrase, {
    expiresOn,
    contentType: "text/plain; purpose=p2s-delivery-passphrase",
    tags: { purpose: "p2s-delivery", requestId },
  });
}

/**
 * The passphrase, or undefined when the secret is gone: deleted (404), or expired or disabled (403; Key Vault may
 * refuse an expired secret's value, and the app treats it as gone either way).
 */
export async function readPassphrase(secrets: SecretClient, name: string): Promise<string | undefined> {
  try {
    const secret = await secrets.getSecret(name);
    const expires = secret.properties.expiresOn;
    if (expires !== undefined && expires.getTime() <= Date.now()) return undefined;
    return secret.value;
  } catch (error) {
    if (error instanceof RestError && (error.statusCode === 404 || error.statusCode === 403)) return undefined;
    throw error;
  }
}

/** Deletes the secret and purges it; an absent secret is fine, and a purge the identity may not do is left to retention. */
export async function removePassphrase(secrets: SecretClient, name: string): Promise<"purged" | "deleted" | "absent"> {
  let deleted = true;
  try {
    const poller = await secrets.beginDeleteSecret(name, { intervalInMs: DELETE_POLL_MS });
    await poller.pollUntilDone();
  } catch (error) {
    if (!(error instanceof RestError && error.statusCode === 404)) throw error;
    deleted = false;
  }
  try {
    await secrets.purgeDeletedSecret(name);
    return "purged";
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return deleted ? "deleted" : "absent";
    // No purge permission (or purge protection): the soft-deleted secret expires with the vault's retention.
    if (error instanceof RestError && error.statusCode === 403) return "deleted";
    throw error;
  }
}
