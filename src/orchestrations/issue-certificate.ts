// Issues one client certificate for a user: Key Vault makes the key and CSR, the CA (a Key Vault key) signs it, the
// chain is merged, the ledger records it. Idempotent per request id: a replay or a retry never makes a second one.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { run } from "../activities/define";
import { runCa } from "../activities/ca-outcome";
import { ensureRoot } from "../activities/ca-root";
import {
  beginCertificate,
  completeCertificate,
  recordIssued,
  recordIssuing,
  signCertificate,
} from "../activities/ca-issuance";
import { checkCertificateCap, signDeviceCertificate } from "../activities/device-issuance";
import type { DeviceCertificate } from "../activities/device-issuance";
import { disableCertificates, wakeGatewayWriters } from "../activities/revocation";
import { describeFailure, failLoudly, failureKey } from "./fail-loudly";
import { passVpnGroupGate } from "./vpn-group-gate";
import { ensureOwnRequestRecord } from "./own-request";
import type { ClientCertificateView, RootCa } from "../clients/key-vault-ca";
import type { IssuanceRequest, IssuanceResult } from "../domain/issuance";
import { assertUpn, keyVaultCertificateName } from "../domain/upn";

export const ISSUE_CERTIFICATE_ORCHESTRATION = "issueClientCertificate";

/**
 * Transient Key Vault failures (throttling beyond the SDK's retries, timeouts) are retried by the framework; the CA
 * activities return terminal failures (bad UPN, refused CSR, soft-deleted name) instead, and runCa fails at once.
 */
const retry = new df.RetryOptions(5000, 5);
retry.backoffCoefficient = 2;
retry.maxRetryIntervalInMilliseconds = 60_000;

export const issueClientCertificate: OrchestrationHandler = function* (context: OrchestrationContext) {
  const request = context.df.getInput<IssuanceRequest>();
  // The name derives from the UPN and request id, so every retry and replay addresses the same certificate.
  const upn = assertUpn(request.upn);
  const certificateName = keyVaultCertificateName(upn, request.requestId, request.certificateNamePrefix);
  const named = { request, certificateName };

  // A request of its own (not a lifecycle request's sub-orchestration) records itself first: GET finds it.
  yield* ensureOwnRequestRecord(context, request.record, retry);

  // The VPN group gate (ENTRA_VPN_GROUP_ID) first: a refused user leaves no record and no Key Vault certificate.
  context.df.setCustomStatus("checking-group");
  yield* passVpnGroupGate(request, retry);

  // The per-user cap (MAX_ACTIVE_CERTIFICATES_PER_USER) holds for every issuance, from any source: refused, audited,
  // before anything is recorded or created.
  context.df.setCustomStatus("checking-cap");
  yield* runCa(checkCertificateCap, named, retry);

  context.df.setCustomStatus("recording");
  // Record the request first, so an issuance that fails half-way is visible and auditable, and an offboarding from
  // now on finds it in the ledger.
  yield* run(recordIssuing, named, retry);

  context.df.setCustomStatus("ensuring-root");
  // The CA root must exist before anything is signed (created on first use, non-exportable).
  const root = yield* runCa(ensureRoot, { actor: request.actor }, retry);

  let certificate;
  let device: DeviceCertificate | undefined;
  if (request.csrPem !== undefined) {
    context.df.setCustomStatus("signing");
    // Self-service: the device made the key and the CSR; the root signs a certificate on that key for the UPN.
    device = yield* runCa(signDeviceCertificate, { certificateName, upn, csrPem: request.csrPem, root }, retry);
    certificate = device;
  } else {
    certificate = yield* keyVaultCertificate(context, request, certificateName, root);
  }

  context.df.setCustomStatus("activating");
  // The ledger's record becomes active (unless a revocation got there first).
  const recorded = yield* run(recordIssued, { ...named, certificate, rootThumbprint: root.thumbprint }, retry);
  if (recorded.status === "revoked") {
    context.df.setCustomStatus("revoking");
    try {
      // The user was offboarded while this certificate was being made: disable it so it can never be exported.
      yield* run(disableCertificates, { certificateNames: [certificateName] }, retry);
      // Its thumbprint is now in the ledger as revoked: wake every gateway's writer to put it on the gateway now.
      yield* run(wakeGatewayWriters, { reason: `revoked while issuing ${request.requestId}` }, retry);
    } catch (error) {
      yield* failLoudly(
        retry,
        {
          key: failureKey(context.df.instanceId, context.df.currentUtcDateTime),
          title: `Revocation of ${upn}'s certificate ${certificateName} failed (request ${request.requestId})`,
          detail: `${describeFailure(error)}; the ledger has it revoked, but Key Vault may still have it enabled or the gateways not yet know it`,
          subject: upn,
        },
        error,
      );
    }
  }

  context.df.setCustomStatus("done");
  const result: IssuanceResult = {
    upn,
    status: recorded.status,
    certificateName,
    thumbprint: certificate.thumbprint,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    ...(device === undefined ? {} : { certificatePem: device.certificatePem, chainPem: device.chainPem }),
  };
  return result;
};

/** Key Vault makes the user's key and CSR, the root signs it, the chain is merged (each step resumes a retry's). */
function* keyVaultCertificate(
  context: OrchestrationContext,
  request: IssuanceRequest,
  certificateName: string,
  root: RootCa,
): Generator<Task, ClientCertificateView, unknown> {
  const upn = assertUpn(request.upn);
  context.df.setCustomStatus("creating-key");
  // Key Vault creates the user's key and a CSR (or returns what a previous attempt already made).
  const begun = yield* runCa(beginCertificate, { request, certificateName, rootThumbprint: root.thumbprint }, retry);
  if (begun.state === "issued") return begun.certificate;
  context.df.setCustomStatus("signing");
  // The CA signs the CSR through keys/sign: Client Authentication first, CN = UPN.
  const signed = yield* runCa(signCertificate, { upn, csrBase64: begun.csrBase64, root }, retry);
  context.df.setCustomStatus("merging");
  // Merge the signed certificate and its chain into the pending operation.
  return yield* runCa(
    completeCertificate,
    { certificateName, certificateBase64: signed.certificateBase64, root },
    retry,
  );
}

df.app.orchestration(ISSUE_CERTIFICATE_ORCHESTRATION, issueClientCertificate);
