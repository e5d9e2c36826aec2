// GET /api/v1/requests/{requestId}/credential: the one-time read of a delivered certificate's credential. Answers
// `{ passphrase, downloadUrl, expiresAt }` exactly once, to the request's submitter, the certificate's owner (their
// own delegated token) or a holder of Certificates.Export; then the passphrase secret is deleted and purged and the
// delivery hears of it. The read is won by a conditional write on the delivery record, so of two parallel reads one
// answers and the other is refused. The passphrase is only in this answer: never logged, audited or stored.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { deliveryServices } from "../activities/delivery-services";
import type { DeliveryRecord } from "../clients/delivery-records";
import { readPassphrase, removePassphrase } from "../clients/delivery-vault";
import { deliverySecretName, newDownloadToken } from "../domain/delivery";
import { PUBLIC_REQUEST_ID } from "../domain/requests";
import type { RequestRecord } from "../domain/requests";
import { DELIVERY_COLLECTED_EVENT } from "../orchestrations/deliver-certificate";
import { actorLabel, APP_ROLES } from "./auth/actor";
import type { Actor } from "./auth/actor";
import { authorize } from "./auth/authorize";
import type { AuthNeed } from "./auth/authorize";
import { downloadUrl, gone, notActive, raiseQuietly } from "./delivery-answers";
import { problem } from "./http-validation";
import type { Validated } from "./http-validation";
import { REQUESTS_ROUTE } from "./request-answers";

/** Any need a valid token may meet: a caller without Certificates.Export is then matched against the request. */
const ANY_CALLER: readonly AuthNeed[] = [{ delegatedUser: true }, ...APP_ROLES.map((role) => ({ role }))];

interface Collector {
  readonly actor: Actor;
  readonly mayExport: boolean;
}

async function identify(request: HttpRequest): Promise<Validated<Collector>> {
  const exporter = await authorize(request, { role: "Certificates.Export" });
  if (exporter.ok) return { ok: true, value: { actor: exporter.value, mayExport: true } };
  if (exporter.response.status !== 403) return exporter;
  for (const need of ANY_CALLER) {
    const caller = await authorize(request, need);
    if (caller.ok) return { ok: true, value: { actor: caller.value, mayExport: false } };
  }
  return exporter;
}

/** Certificates.Export, the submitter's token (same object id), or the owner's own delegated token (same UPN). */
export function mayCollect(
  collector: Collector,
  delivery: Pick<DeliveryRecord, "upn">,
  submitted: Pick<RequestRecord, "submitterObjectId"> | undefined,
): boolean {
  if (collector.mayExport) return true;
  const { actor } = collector;
  if (submitted?.submitterObjectId !== undefined && submitted.submitterObjectId === actor.objectId) return true;
  return actor.kind === "user" && actor.upn !== undefined && actor.upn === delivery.upn.toLowerCase();
}

// Unknown, not yet ready, and not the caller's: one answer, so it never tells whether a delivery exists.
const notFound = (): HttpResponseInit =>
  problem(404, "Not found", "no credential is waiting for this request (or it is not yours to read)");

export async function getDeliveryCredential(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const caller = await identify(request);
  if (!caller.ok) return caller.response;
  const requestId = request.params.requestId ?? "";
  if (!PUBLIC_REQUEST_ID.test(requestId)) return notFound();
  const { deliveries, ledger, keyVault } = deliveryServices();
  const record = await deliveries.get(requestId);
  if (record === undefined) return notFound();
  if (!mayCollect(caller.value, record, await ledger.getRequest(requestId))) return notFound();
  const now = new Date();
  if (record.state !== "ready") return gone("the credential of this request was already read: it is given once");
  if (now.getTime() >= record.linkExpiresAt.getTime()) return gone("the delivery of this request has expired");
  const revoked = await notActive(ledger, record);
  if (revoked !== undefined) return gone(revoked);

  const secretName = deliverySecretName(requestId);
  const passphrase = await readPassphrase(keyVault.secrets, secretName);
  if (passphrase === undefined) return gone("the credential of this request is no longer available");
  const { token, hash } = newDownloadToken();
  const collectedBy = actorLabel(caller.value.actor);
  // The one winner: a parallel read that got here too finds the ETag changed and is refused.
  const won = await deliveries.transition(record, {
    state: "collected",
    collectedAt: now,
    collectedBy,
    downloadTokenHash: hash,
  });
  if (!won) return gone("the credential of this request was already read: it is given once");

  // From here the caller gets the answer whatever else fails: the credential exists nowhere else any more.
  await removePassphrase(keyVault.secrets, secretName).catch((error: unknown) => {
    // The delivery's cleanup deletes it again at the end; the message names the secret, never its value.
    context.warn(`delivery ${requestId}: passphrase secret not removed yet: ${messageOf(error)}`);
  });
  await raiseQuietly(context, record.instanceId, DELIVERY_COLLECTED_EVENT, { collectedAt: now.toISOString() });
  await ledger
    .appendAudit({
      id: `${requestId}:delivery:collected`,
      at: now,
      actor: collectedBy,
      action: "delivery.collected",
      subject: record.upn,
      reason: "one-time passphrase and download link handed out",
      source: "api",
      requestId,
      details: { thumbprint: record.thumbprint, linkExpiresAt: record.linkExpiresAt.toISOString() },
    })
    .catch((error: unknown) => {
      // The record itself says who collected it and when.
      context.warn(`delivery ${requestId}: collection not audited: ${messageOf(error)}`);
    });
  return {
    status: 200,
    jsonBody: {
      passphrase,
      downloadUrl: downloadUrl(request, requestId, token),
      expiresAt: record.linkExpiresAt.toISOString(),
    },
    headers: { "cache-control": "no-store", pragma: "no-cache" },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}

app.http("getDeliveryCredential", {
  route: `${REQUESTS_ROUTE}/{requestId}/credential`,
  methods: ["GET"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: getDeliveryCredential,
});
