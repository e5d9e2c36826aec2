// One lifecycle request (onboard, offboard, reissue, renew) from ticketing, HR, Entra ID or the renewal timer, run on
// the existing issuance and offboarding orchestrations: checked against the user's standing, done, audited, and its
// final view called back to the ticket when it asked for it.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { run } from "../activities/define";
import { auditLifecycle, checkLifecycleStanding, revokeOlderCertificates } from "../activities/lifecycle";
import type { LifecycleAudit } from "../activities/lifecycle";
import { disableCertificates, wakeGatewayWriters } from "../activities/revocation";
import type { RevokedCertificates } from "../activities/revocation";
import { offboardingInstanceId } from "../clients/offboarding-start";
import type { IssuanceResult } from "../domain/issuance";
import { issuanceRequestOf, lifecycleUserKey, revocationRequestOf, revokesOlder } from "../domain/lifecycle";
import type { LifecycleInput, LifecycleOutcome } from "../domain/lifecycle";
import { assertUpn, keyVaultCertificateName } from "../domain/upn";
import { deliverCertificateFrom } from "./deliver-certificate";
import type { DeliveryOutcome } from "./deliver-certificate";
import { describeFailure } from "./fail-loudly";
import { ensureOwnRequestRecord } from "./own-request";
import { ISSUE_CERTIFICATE_ORCHESTRATION } from "./issue-certificate";
import { OFFBOARD_USER_ORCHESTRATION } from "./offboard-user";
import type { OffboardInput } from "./offboard-user";
import { SEND_CALLBACK_ORCHESTRATION } from "./send-callback";
import type { CallbackInput } from "./send-callback";

export const LIFECYCLE_REQUEST_ORCHESTRATION = "lifecycleRequest";

const retry = new df.RetryOptions(5000, 8);
retry.backoffCoefficient = 2;
retry.maxRetryIntervalInMilliseconds = 5 * 60_000;

type Flow<T> = Generator<Task, T, unknown>;

/** The request's step, as GET /api/v1/requests/{id} shows it. */
function step(context: OrchestrationContext, name: string, extra: Record<string, string> = {}): void {
  context.df.setCustomStatus({ step: name, ...extra });
}

function auditOf(input: LifecycleInput): LifecycleAudit["request"] {
  const { requestId, upn, actor, source, sourceKey, action, ticketId } = input;
  return { requestId, upn, actor, source, sourceKey, action, ...(ticketId === undefined ? {} : { ticketId }) };
}

/** A sub-orchestration's failure reaches the parent wrapped in the framework's prefixes: the cause is what counts. */
function causeOf(error: unknown): string {
  return describeFailure(error).replace(/^(Orchestrator function '[^']*' failed: )+/, "");
}

export const lifecycleRequest: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<LifecycleInput>();
  const audit = auditOf(input);
  let outcome: LifecycleOutcome;
  try {
    // The request's record first (the start path's own write of it may have failed while this instance started).
    yield* ensureOwnRequestRecord(context, input.record, retry);
    step(context, "checking-standing");
    // Decided on acceptance times: an offboarding accepted at or after a request for a certificate wins over it.
    const standing = yield* run(
      checkLifecycleStanding,
      { action: input.action, upn: input.upn, requestedAt: input.requestedAt },
      retry,
    );
    if (standing.refusal !== undefined) {
      outcome = {
        action: input.action,
        upn: input.upn,
        status: standing.stale === true ? "stale" : "refused",
        reason: standing.refusal,
      };
    } else if (input.action === "offboard") {
      outcome = yield* offboard(context, input);
    } else {
      outcome = yield* issue(context, input);
    }
  } catch (error) {
    const reason = causeOf(error);
    yield* run(auditLifecycle, { request: audit, event: "request.failed", reason }, retry);
    yield* callBack(context, input, { status: "failed", error: reason });
    // Failed, not completed: the same submission again starts the request again (its steps resume idempotently).
    throw new Error(reason);
  }
  const refused = outcome.status === "refused" || outcome.status === "stale";
  yield* run(
    auditLifecycle,
    {
      request: audit,
      event: refused ? "request.refused" : "request.completed",
      reason: outcome.reason ?? outcome.status,
      details: {
        status: outcome.status,
        ...(outcome.thumbprint === undefined ? {} : { thumbprint: outcome.thumbprint }),
      },
    },
    retry,
  );
  yield* callBack(
    context,
    input,
    refused
      ? { status: "failed", error: outcome.reason ?? outcome.status }
      : { status: "succeeded", result: publicResult(outcome) },
  );
  step(context, "done");
  return refused ? { ...outcome, refused: true } : outcome;
};

/** What the ticket hears: the request's final view, public fields only (it is in history and crosses to the ticket). */
interface FinalView {
  readonly status: "succeeded" | "failed";
  readonly result?: Record<string, unknown>;
  readonly error?: string;
}

function publicResult(outcome: LifecycleOutcome): Record<string, unknown> {
  const { status, reason, refused, ...rest } = outcome;
  return { certificateStatus: status, ...rest, ...(reason === undefined || refused === true ? {} : { note: reason }) };
}

/**
 * With a callbackUrl, the final view is POSTed to the ticket (signed, retried for up to a day by sendCallback). Its
 * outcome never changes the request's: a callback that cannot be delivered is audited by sendCallback and left there.
 */
function* callBack(context: OrchestrationContext, input: LifecycleInput, view: FinalView): Flow<void> {
  if (input.callbackUrl === undefined) return;
  step(context, "calling-back");
  const callback: CallbackInput = {
    requestId: input.requestId,
    callbackUrl: input.callbackUrl,
    ticketId: input.ticketId ?? input.sourceKey,
    source: input.source,
    actor: input.actor,
    upn: input.upn,
    payload: {
      requestId: input.requestId,
      ticketId: input.ticketId ?? input.sourceKey,
      action: input.action,
      upn: input.upn,
      ...view,
    },
  };
  try {
    yield context.df.callSubOrchestrator(SEND_CALLBACK_ORCHESTRATION, callback, `${context.df.instanceId}:callback`);
  } catch {
    // sendCallback audits every attempt and its end; a failure of its own is no failure of the request.
  }
}

function* offboard(context: OrchestrationContext, input: LifecycleInput): Flow<LifecycleOutcome> {
  step(context, "offboarding");
  const offboardInput: OffboardInput = { request: revocationRequestOf(input), writers: input.writers };
  // Under the offboarding's own id scheme, so gatewayReconcile restarts it should it fail.
  const instanceId = offboardingInstanceId(lifecycleUserKey(input), input.requestId);
  const done = (yield context.df.callSubOrchestrator(OFFBOARD_USER_ORCHESTRATION, offboardInput, instanceId)) as {
    revokedThumbprints: string[];
    gateways: number;
  };
  return {
    action: input.action,
    upn: input.upn,
    status: "offboarded",
    revokedThumbprints: done.revokedThumbprints,
    gateways: done.gateways,
  };
}

function* issue(context: OrchestrationContext, input: LifecycleInput): Flow<LifecycleOutcome> {
  const certificateName = keyVaultCertificateName(assertUpn(input.upn), input.requestId, input.certificateNamePrefix);
  let revoked: RevokedCertificates | undefined;
  if (revokesOlder(input.action) && input.lostDevice === true) {
    // The old device is lost: its certificates stop working now, before the new one exists.
    step(context, "revoking-old-certificates");
    revoked = yield* revokeOlder(input, certificateName);
  }
  step(context, "issuing");
  const issued = (yield context.df.callSubOrchestrator(
    ISSUE_CERTIFICATE_ORCHESTRATION,
    issuanceRequestOf(input),
    `${context.df.instanceId}:issue`,
  )) as IssuanceResult;
  const certificate = {
    certificateName: issued.certificateName,
    thumbprint: issued.thumbprint,
    serialNumber: issued.serialNumber,
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
  };
  if (issued.status !== "active") {
    // Offboarded while it was made: the issuance revoked it; nothing is delivered and nothing older is touched.
    return { action: input.action, upn: input.upn, status: "revoked", ...certificate };
  }
  // The user collects the new certificate (a one-time passphrase and a read-only link); the step shows the link's expiry.
  const delivery: DeliveryOutcome = yield* deliverCertificateFrom(context, {
    requestId: input.requestId,
    upn: input.upn,
    certificateName: issued.certificateName,
    thumbprint: issued.thumbprint,
  });
  let kept: string | undefined;
  if (revokesOlder(input.action) && revoked === undefined) {
    if (delivery.collected) {
      // Only once the new certificate has reached its user: until then the old one is all they have.
      step(context, "revoking-old-certificates");
      revoked = yield* revokeOlder(input, certificateName);
    } else {
      kept = "the new certificate was not collected, so the older ones were left in place";
    }
  }
  return {
    action: input.action,
    upn: input.upn,
    status: "active",
    ...certificate,
    linkExpiresAt: delivery.linkExpiresAt,
    collected: delivery.collected,
    ...(revoked === undefined ? {} : { revokedThumbprints: revoked.thumbprints }),
    ...(kept === undefined && delivery.reason === undefined ? {} : { reason: kept ?? delivery.reason }),
  };
}

/** The user's older certificates revoked in the ledger, disabled in Key Vault, and the gateways' writers woken. */
function* revokeOlder(input: LifecycleInput, keep: string): Flow<RevokedCertificates> {
  const { requestId, upn, requestedAt, actor, source, reason } = input;
  const request = { requestId, upn, requestedAt, actor, source, ...(reason === undefined ? {} : { reason }) };
  const revoked = yield* run(revokeOlderCertificates, { request, keep }, retry);
  if (revoked.certificateNames.length > 0) {
    yield* run(disableCertificates, { certificateNames: revoked.certificateNames }, retry);
    yield* run(wakeGatewayWriters, { reason: `reissue ${requestId}` }, retry);
  }
  return revoked;
}

df.app.orchestration(LIFECYCLE_REQUEST_ORCHESTRATION, lifecycleRequest);
