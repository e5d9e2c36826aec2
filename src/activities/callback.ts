// Activities of the sendCallback orchestration: one signed POST, and the audit entry of one attempt.
import { getConfig } from "../config";
import { callbackUrlOptions } from "../config-callbacks";
import { sendSignedCallback } from "../clients/callback-sender";
import type { CallbackAttempt } from "../clients/callback-sender";
import { tlsClientOptions } from "../clients/azure-options";
import { APP_VERSION } from "../version";
import { defineActivity } from "./define";
import { services } from "./services";

export interface PostCallbackInput {
  readonly requestId: string;
  readonly callbackUrl: string;
  /** The JSON body, the same on every attempt (the receiver deduplicates by its requestId). */
  readonly body: string;
}

export interface PostCallbackResult extends CallbackAttempt {
  /** How long the callback may be retried after its first attempt (TICKETING_CALLBACK_MAX_HOURS), read at send time. */
  readonly retryWindowMs: number;
}

/** One attempt. Never throws for what the receiver did: the verdict says what to do next. */
export const postCallback = defineActivity<PostCallbackInput, PostCallbackResult>("postCallback", async (input) => {
  const config = getConfig();
  const retryWindowMs = config.TICKETING_CALLBACK_MAX_HOURS * 3_600_000;
  const secret = config.TICKETING_SHARED_SECRET;
  if (secret === undefined) {
    return {
      verdict: "refused",
      reason: "TICKETING_SHARED_SECRET is not set: callbacks cannot be signed",
      retryWindowMs,
    };
  }
  const extraCa = tlsClientOptions(config).tlsOptions?.ca;
  const attempt = await sendSignedCallback(input.callbackUrl, input.body, {
    allowlist: config.TICKETING_CALLBACK_ALLOWLIST,
    loopbackAllowed: callbackUrlOptions(config).loopbackAllowed === true,
    secret,
    timeoutMs: config.TICKETING_CALLBACK_TIMEOUT_MS,
    userAgent: `p2s-lifecycle/${APP_VERSION}`,
    ...(extraCa === undefined ? {} : { extraCa }),
  });
  return { ...attempt, retryWindowMs };
});

export interface CallbackAuditInput {
  readonly requestId: string;
  readonly ticketId: string;
  readonly source: string;
  readonly actor: string;
  /** Lower-cased UPN when known, else `ticket:<ticketId>`. */
  readonly subject: string;
  /** 1, 2...; 0 for the closing entry of a callback given up. */
  readonly attempt: number;
  readonly at: string;
  readonly action: "callback.delivered" | "callback.refused" | "callback.failed" | "callback.abandoned";
  readonly reason: string;
  readonly status?: number;
  /** The callback's origin only: a URL's path or query may carry the receiver's own token. */
  readonly origin: string;
}

/** Audits one attempt (or the giving up) once, keyed by request and attempt. Never the secret or the signature. */
export const auditCallbackAttempt = defineActivity<CallbackAuditInput, null>("auditCallbackAttempt", async (input) => {
  await services().ledger.appendAudit({
    id: `callback:${input.requestId}:${input.attempt === 0 ? "abandoned" : String(input.attempt)}`,
    at: new Date(input.at),
    actor: input.actor,
    action: input.action,
    subject: input.subject,
    reason: input.reason,
    source: input.source,
    requestId: input.requestId,
    details: {
      ticketId: input.ticketId,
      attempt: input.attempt,
      status: input.status ?? 0,
      origin: input.origin,
    },
  });
  return null;
});
