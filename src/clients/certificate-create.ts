// Certificate creates that are safe to repeat. Key Vault's create is the one request that is not idempotent and takes
// no If-Match: a create that lands after the certificate was merged starts a second version with a new key. So a
// create is sent through the send-once client (no SDK retries, no 429 backoff in the pipeline), paced to the vault's
// budget, and only after the caller's check of what the vault holds (re-run once the pacer has given it a slot,
// right before the send) says nothing is there yet. A refused create (429, 5xx, a network error) is sent again only
// after that check has run again; a 409 (an operation already pending) resumes that operation.
import { RestError } from "@azure/core-rest-pipeline";
import type { CertificatePolicy } from "@azure/keyvault-certificates";
import { CaStateError } from "./ca-model";
import { createPacerFor } from "./create-pacing";
import type { CreatePacingConfig } from "./create-pacing";
import { KEY_VAULT_THROTTLE_BACKOFF, throttleDelayMs } from "./key-vault-throttle-policy";
import type { KeyVaultClients } from "./keyvault";

export type OperationPoller = Awaited<ReturnType<KeyVaultClients["certificates"]["getCertificateOperation"]>>;

/** How often a poller of an operation that is still in progress asks again (the SDK's default is 2 s). */
export const OPERATION_POLL_MS = 1_000;

/** What a checked create ended with. */
export type CheckedCreate<T> =
  | { readonly kind: "present"; readonly value: T }
  /** `created`: this call's create was accepted (202); else a 409 named an operation already pending. */
  | { readonly kind: "operation"; readonly poller: OperationPoller; readonly created: boolean };

const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** A refusal after which the create may be sent again, once the vault is re-read. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof RestError)) return false;
  // No status: the request never got an answer (REQUEST_SEND_ERROR, a reset connection).
  return error.statusCode === undefined || TRANSIENT_STATUSES.has(error.statusCode);
}

/** The SDK's own retry settings for other failures (keyvault.ts): 6 retries, from 0.5 s doubling to 30 s. */
const SERVICE_RETRIES = 6;
const SERVICE_FIRST_DELAY_MS = 500;
const SERVICE_MAX_DELAY_MS = 30_000;

/**
 * How long to wait before re-checking and sending again after `error` (retry `retry`, 0-based), or undefined when
 * the retries are spent. A 429 waits by Key Vault's throttling guidance (1, 2, 4 s ..., key-vault-throttle-policy);
 * other failures as the SDK would (Retry-After when given, else exponential), so an outage fails as fast as before.
 */
function retryDelayMs(error: unknown, retry: number): number | undefined {
  const retryAfter = retryAfterMs(error);
  if (error instanceof RestError && error.statusCode === 429) {
    if (retry >= KEY_VAULT_THROTTLE_BACKOFF.retries) return undefined;
    return Math.max(retryAfter ?? 0, throttleDelayMs(KEY_VAULT_THROTTLE_BACKOFF, retry));
  }
  if (retry >= SERVICE_RETRIES) return undefined;
  if (retryAfter !== undefined) return retryAfter;
  const base = Math.min(SERVICE_MAX_DELAY_MS, SERVICE_FIRST_DELAY_MS * 2 ** retry);
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof RestError)) return undefined;
  const header = error.response?.headers.get("retry-after");
  if (header === undefined) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof RestError && error.statusCode === status;
}

function isDeletedButRecoverable(error: unknown): boolean {
  if (!(error instanceof RestError)) return false;
  // The SDK deserialises Key Vault's `innererror` as `innerError`; the raw body spelling is accepted too.
  type Inner = { code?: string; innerError?: Inner; innererror?: Inner };
  const body = error.details as { error?: Inner } | undefined;
  const inner = body?.error?.innerError ?? body?.error?.innererror;
  return [error.code, body?.error?.code, inner?.code].includes("ObjectIsDeletedButRecoverable");
}

type Attempt = CheckedCreate<never> | { readonly kind: "retry"; readonly error: unknown; readonly waitMs?: number };

/**
 * Creates `name` with `policy` unless `present()` finds what the create would make (or an operation to resume): the
 * check runs before each send, once the pacer has given it a slot. Returns what `present()` found, or the operation this call's
 * create started or a 409 named. A refused or unanswered create is sent again a bounded number of times, after a
 * backoff (retryDelayMs) and always after `present()` again.
 */
export async function createUnlessPresent<T>(
  kv: KeyVaultClients,
  config: CreatePacingConfig,
  name: string,
  policy: CertificatePolicy,
  tags: Readonly<Record<string, string>>,
  present: () => Promise<T | undefined>,
): Promise<CheckedCreate<T>> {
  const pacer = createPacerFor(kv, config);
  for (let retry = 0; ; retry++) {
    let found = await present();
    if (found !== undefined) return { kind: "present", value: found };
    let outcome: Attempt;
    if (pacer === undefined) {
      outcome = await send(kv, name, policy, tags, () => undefined);
    } else {
      // Checked again once a slot is held, right before the create is sent (the wait for the budget can be long,
      // and another execution may have made or merged the certificate meanwhile).
      const slot = await pacer.reserve(
        async () => {
          found = await present();
          return found === undefined;
        },
        (answered) => send(kv, name, policy, tags, answered),
      );
      if (!slot.started) {
        if (found !== undefined) return { kind: "present", value: found };
        continue;
      }
      outcome = await slot.result;
    }
    if (outcome.kind !== "retry") return outcome;
    const waitMs = outcome.waitMs ?? retryDelayMs(outcome.error, retry);
    if (waitMs === undefined || retry >= KEY_VAULT_THROTTLE_BACKOFF.retries) throw outcome.error;
    await kv.clock.sleep(waitMs);
  }
}

async function send(
  kv: KeyVaultClients,
  name: string,
  policy: CertificatePolicy,
  tags: Readonly<Record<string, string>>,
  /** Told when the vault answers the create request (the poller's status reads follow it with the same options). */
  answered: () => void,
): Promise<Attempt> {
  let created = false;
  try {
    await kv.certificateCreates.beginCreateCertificate(name, policy, {
      tags: { ...tags },
      intervalInMs: OPERATION_POLL_MS,
      onResponse: answered,
    });
    created = true;
  } catch (error) {
    if (isStatus(error, 409) && isDeletedButRecoverable(error)) {
      throw new CaStateError(
        `Key Vault certificate ${name} is soft-deleted: recover it or purge it before it can be created again`,
        { terminal: true },
      );
    }
    // The create (or the status read the SDK makes after it) was refused or lost: re-check, then maybe send again.
    if (isTransient(error)) return { kind: "retry", error };
    if (!isStatus(error, 409)) throw error;
  }
  // The operation this create started, or (409) the one pending under that name, to resume. Not visible yet (a
  // create still being made): re-check.
  try {
    const poller = await kv.certificates.getCertificateOperation(name, { intervalInMs: OPERATION_POLL_MS });
    return { kind: "operation", poller, created };
  } catch (error) {
    // After an accepted create, never a second one on the strength of a missing status: the caller's retry re-reads.
    if (isStatus(error, 404) && !created) return { kind: "retry", error, waitMs: OPERATION_POLL_MS };
    throw error;
  }
}
