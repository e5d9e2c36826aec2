// Tells the ticketing system how its request ended: the final status POSTed, signed, to the request's callbackUrl, and
// retried on durable timers (30 s, doubling, then hourly) for up to TICKETING_CALLBACK_MAX_HOURS. Every attempt is
// audited. A sub-orchestration of lifecycleRequest; its outcome never changes the request's own result.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { run } from "../activities/define";
import { auditCallbackAttempt, postCallback } from "../activities/callback";
import type { CallbackAuditInput, PostCallbackResult } from "../activities/callback";
import { backoffDelayMs } from "../domain/backoff";
import { CALLBACK_BACKOFF } from "../domain/callback-policy";
import { describeFailure } from "./fail-loudly";

export const SEND_CALLBACK_ORCHESTRATION = "sendCallback";

export interface CallbackInput {
  readonly requestId: string;
  /** Already checked by checkCallbackUrl at the edge; checked again before every attempt. */
  readonly callbackUrl: string;
  readonly ticketId: string;
  /** Audit labels of the request (LifecycleSubmission's source and actor). */
  readonly source: string;
  readonly actor: string;
  /** The final status, sent as the JSON body as it is (no secrets: it is in durable history). */
  readonly payload: Record<string, unknown>;
  /** The request's user: the audit subject, so the callbacks show in the user's audit. */
  readonly upn?: string;
}

export interface CallbackOutcome {
  readonly delivered: boolean;
  readonly attempts: number;
  readonly lastStatus?: number;
  readonly reason?: string;
}

/** Used until the first attempt has read TICKETING_CALLBACK_MAX_HOURS (its activity failed outright). */
const DEFAULT_WINDOW_MS = 24 * 3_600_000;
const auditRetry = new df.RetryOptions(5_000, 10);
auditRetry.backoffCoefficient = 2;
auditRetry.maxRetryIntervalInMilliseconds = 5 * 60_000;

export const sendCallback: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<CallbackInput>();
  const body = JSON.stringify(input.payload);
  const startedAt = context.df.currentUtcDateTime.getTime();
  const audit = (entry: Pick<CallbackAuditInput, "attempt" | "action" | "reason" | "status">) =>
    run(
      auditCallbackAttempt,
      {
        requestId: input.requestId,
        ticketId: input.ticketId,
        source: input.source,
        actor: input.actor,
        subject: input.upn?.toLowerCase() ?? `ticket:${input.ticketId}`,
        at: context.df.currentUtcDateTime.toISOString(),
        origin: originOf(input.callbackUrl),
        ...entry,
      },
      auditRetry,
    );
  let deadline: number | undefined;
  let lastStatus: number | undefined;
  for (let attempt = 1; ; attempt += 1) {
    context.df.setCustomStatus({ step: "sending-callback", attempt });
    let result: Pick<PostCallbackResult, "verdict" | "reason" | "status" | "retryAfterMs" | "retryWindowMs">;
    try {
      result = yield* run(postCallback, { requestId: input.requestId, callbackUrl: input.callbackUrl, body });
    } catch (error) {
      // The attempt itself broke (not the receiver): count it as a failed attempt and try again later.
      result = { verdict: "retry", reason: `the attempt failed: ${describeFailure(error)}`, retryWindowMs: 0 };
    }
    deadline ??= result.retryWindowMs > 0 ? startedAt + result.retryWindowMs : undefined;
    if (result.status !== undefined) lastStatus = result.status;
    const action =
      result.verdict === "delivered"
        ? "callback.delivered"
        : result.verdict === "refused"
          ? "callback.refused"
          : "callback.failed";
    yield* audit({
      attempt,
      action,
      reason: result.reason,
      ...(result.status === undefined ? {} : { status: result.status }),
    });
    const outcome = { attempts: attempt, ...(lastStatus === undefined ? {} : { lastStatus }) };
    if (result.verdict === "delivered") return { delivered: true, ...outcome } satisfies CallbackOutcome;
    if (result.verdict === "refused")
      return { delivered: false, ...outcome, reason: result.reason } satisfies CallbackOutcome;

    const now = context.df.currentUtcDateTime.getTime();
    const until = deadline ?? startedAt + DEFAULT_WINDOW_MS;
    if (now >= until) {
      const reason = `gave up after ${String(attempt)} attempts: ${result.reason}`;
      yield* audit({
        attempt: 0,
        action: "callback.abandoned",
        reason,
        ...(lastStatus === undefined ? {} : { status: lastStatus }),
      });
      context.df.setCustomStatus({ step: "callback-abandoned", attempt });
      return { delivered: false, ...outcome, reason } satisfies CallbackOutcome;
    }
    // The last attempt is made at the end of the window, not skipped because a full wait would pass it.
    const next = Math.min(until, now + backoffDelayMs(CALLBACK_BACKOFF, attempt, result.retryAfterMs));
    context.df.setCustomStatus({ step: "callback-waiting", attempt, nextAttemptAt: new Date(next).toISOString() });
    yield context.df.createTimer(new Date(next));
  }
};

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(not a URL)";
  }
}

df.app.orchestration(SEND_CALLBACK_ORCHESTRATION, sendCallback);
