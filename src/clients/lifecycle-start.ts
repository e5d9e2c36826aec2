// Starts a lifecycle request (onboard, offboard, reissue, renew) from any source, idempotently: the same source, key,
// action and user again starts nothing and answers the same request id. Every accepted request is recorded in the
// requests table (GET /api/v1/requests/{id} follows it) and in the audit table.
import type { DurableClient } from "durable-functions";
import { services } from "../activities/services";
import { startOnce } from "./durable-start";
import type { StartOutcome } from "./durable-start";
import { writerInput } from "../domain/gateway-writer-input";
import { lifecycleInstanceId } from "../domain/lifecycle";
import type { LifecycleInput, LifecycleSubmission } from "../domain/lifecycle";
import { publicRequestId, requestRecordOf } from "../domain/requests";
import type { RequestRecordInput } from "../domain/requests";
import { assertUpn, upnKey } from "../domain/upn";
import { LIFECYCLE_REQUEST_ORCHESTRATION } from "../orchestrations/lifecycle-request";

export type { LifecycleAction, LifecycleSource, LifecycleSubmission } from "../domain/lifecycle";

export interface LifecycleStarted {
  readonly requestId: string;
  readonly instanceId: string;
  /** False for a repeat: an instance of the same submission is pending, running or done. */
  readonly started: boolean;
}

/**
 * Starts (or joins) the submission's request at `now` (its acceptance time, which orders the user's onboardings and
 * offboardings). The instance is started before the request is recorded, so every recorded request has one; the
 * instance also writes the same record as its first step, so a record write here that fails after the start (a storage
 * fault, a lost answer, a caller that never retries) leaves no running instance without its record. A failed or
 * terminated instance of the same submission is started again under the same id.
 */
export async function startLifecycleRequest(
  client: DurableClient,
  submission: LifecycleSubmission,
  now: Date,
): Promise<LifecycleStarted> {
  const { config, ledger } = services();
  const upn = assertUpn(submission.upn);
  const instanceId = lifecycleInstanceId(submission);
  const requestId = publicRequestId(instanceId);
  const record: RequestRecordInput = {
    kind: submission.action,
    upn,
    submittedBy: submission.actor,
    ...(submission.submitterObjectId === undefined ? {} : { submitterObjectId: submission.submitterObjectId }),
    createdAt: now.toISOString(),
  };
  const input: LifecycleInput = {
    requestId,
    source: submission.source,
    sourceKey: submission.sourceKey,
    action: submission.action,
    upn,
    actor: submission.actor,
    ...(submission.reason === undefined ? {} : { reason: submission.reason }),
    ...(submission.lostDevice === true ? { lostDevice: true } : {}),
    ...(submission.callbackUrl === undefined ? {} : { callbackUrl: submission.callbackUrl }),
    ...(submission.ticketId === undefined ? {} : { ticketId: submission.ticketId }),
    requestedAt: now.toISOString(),
    certificateNamePrefix: config.CLIENT_CERT_NAME_PREFIX,
    writers: config.GATEWAY_RESOURCE_IDS.map((id) => writerInput(config, id)),
    record,
  };
  const outcome = await startOnce(client, LIFECYCLE_REQUEST_ORCHESTRATION, instanceId, input);
  const started = outcome !== "existing";
  const recorded = await ledger.recordRequest(requestRecordOf(instanceId, record));
  const audit = (kind: "accepted" | "repeated", at: Date, said: StartOutcome): Promise<void> =>
    ledger.appendAudit({
      id: `${requestId}:${kind}:${at.toISOString()}`,
      at,
      actor: submission.actor,
      action: `request.${kind}`,
      subject: upnKey(upn),
      reason: submission.reason ?? `${submission.action} from ${submission.source} ${submission.sourceKey}`,
      source: submission.source,
      requestId,
      details: {
        action: submission.action,
        sourceKey: submission.sourceKey,
        ...(submission.ticketId === undefined ? {} : { ticketId: submission.ticketId }),
        ...(submission.lostDevice === true ? { lostDevice: true } : {}),
        ...(submission.callbackUrl === undefined ? {} : { callbackOrigin: new URL(submission.callbackUrl).origin }),
        outcome: said,
      },
    });
  // Once per start (a restart of a failed request is audited again); a repeat that joins is audited as one.
  if (started) {
    await audit("accepted", now, outcome);
  } else {
    // The start that made the instance may have failed before its audit (a storage fault on the record write): its
    // acceptance is audited here, under the id and time it would have had (a no-op when it was written).
    await audit("accepted", recorded.createdAt, "started");
    await audit("repeated", now, outcome);
  }
  return { requestId, instanceId, started };
}
