// Offboards a user: revokes every certificate in the ledger, disables them in Key Vault and asks every gateway's
// single writer to apply the revocations (the writer also ends the user's live sessions).
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { run } from "../activities/define";
import { describeFailure, failLoudly, failureKey } from "./fail-loudly";
import { disableCertificates, markUserRevoked, requestGatewaySync } from "../activities/revocation";
import type { GatewayWriterInput } from "../domain/gateway-writer-input";
import type { RevocationRequest } from "../domain/issuance";
import type { RequestRecordInput } from "../domain/requests";
import { ensureOwnRequestRecord } from "./own-request";

export const OFFBOARD_USER_ORCHESTRATION = "offboardUser";

const retry = new df.RetryOptions(5000, 8);
retry.backoffCoefficient = 2;
retry.maxRetryIntervalInMilliseconds = 5 * 60_000;

export interface OffboardInput {
  readonly request: RevocationRequest;
  readonly writers: readonly GatewayWriterInput[];
  /** A request of its own (the API): its record, which the instance writes first. */
  readonly record?: RequestRecordInput;
}

export const offboardUser: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { request, writers, record } = context.df.getInput<OffboardInput>();
  try {
    yield* ensureOwnRequestRecord(context, record, retry);
    context.df.setCustomStatus("marking-revoked");
    // Mark the ledger first: from here on every writer pass, and the reconcile timer, revokes these certificates.
    const revoked = yield* run(markUserRevoked, request, retry);

    context.df.setCustomStatus("disabling-certificates");
    // Disable the certificates in Key Vault so no PFX can be exported or renewed from them.
    yield* run(disableCertificates, { certificateNames: revoked.certificateNames }, retry);

    context.df.setCustomStatus("syncing-gateways");
    // Ask every gateway's writer to run (start or wake it), in parallel. Task.all refuses an empty list, and a
    // deployment may have no gateway configured yet: the ledger mark is then the whole revocation.
    const reason = `offboarding ${request.requestId}`;
    if (writers.length > 0) {
      yield context.df.Task.all(writers.map((writer) => requestGatewaySync.task({ writer, reason }).withRetry(retry)));
    }

    context.df.setCustomStatus("done");
    return { upn: request.upn, revokedThumbprints: revoked.thumbprints, gateways: writers.length };
  } catch (error) {
    // Never silent: a critical alert names the user and the request, then the instance fails, and gatewayReconcile
    // starts it again (every step is idempotent).
    yield* failLoudly(
      retry,
      {
        key: failureKey(context.df.instanceId, context.df.currentUtcDateTime),
        title: `Offboarding of ${request.upn} failed (request ${request.requestId})`,
        detail: `${describeFailure(error)}; the user's certificates may still work. gatewayReconcile restarts the offboarding`,
        subject: request.upn,
      },
      error,
    );
  }
};

df.app.orchestration(OFFBOARD_USER_ORCHESTRATION, offboardUser);
