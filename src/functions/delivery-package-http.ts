// GET /api/v1/deliveries/{requestId}/package?token=...: the one-time download link the credential endpoint hands
// out. Storage does not tell an app that a blob was read, so a bare SAS link cannot be single-use; this route is the
// single-use part. Its first use (won by a conditional write) answers 302 to a fresh user-delegation SAS of the
// package (read-only, https-only, a couple of minutes, never past the delivery's expiry) and tells the delivery,
// which deletes the blob once that SAS has expired. Any later use, and any use after the expiry, is refused.
// Anonymous (no function key, no token): whoever holds the link holds the capability, like a SAS link itself.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { deliveryServices } from "../activities/delivery-services";
import { readOnlyLink } from "../clients/blob-links";
import { deliveryBlobName, deliveryFileName, downloadSasExpiry, downloadTokenMatches } from "../domain/delivery";
import { PUBLIC_REQUEST_ID } from "../domain/requests";
import { DELIVERY_DOWNLOADED_EVENT } from "../orchestrations/deliver-certificate";
import type { DownloadedEvent } from "../orchestrations/deliver-certificate";
import { DELIVERIES_ROUTE, gone, notActive, raiseQuietly } from "./delivery-answers";
import { problem } from "./http-validation";

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

// A wrong id or token gets the same answer as an unknown one.
const notFound = (): HttpResponseInit => problem(404, "Not found", "no such download");

export async function downloadDeliveryPackage(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const requestId = request.params.requestId ?? "";
  const token = request.query.get("token") ?? "";
  if (!PUBLIC_REQUEST_ID.test(requestId) || !TOKEN.test(token)) return notFound();
  const { config, deliveries, ledger, linkStorage } = deliveryServices();
  const record = await deliveries.get(requestId);
  if (record === undefined || !downloadTokenMatches(token, record.downloadTokenHash)) return notFound();
  if (record.state === "downloaded") return gone("this download link was already used: it works once");
  const now = new Date();
  if (record.state !== "collected" || now.getTime() >= record.linkExpiresAt.getTime()) {
    return gone("this download link has expired");
  }

  const revoked = await notActive(ledger, record);
  if (revoked !== undefined) return gone(revoked);

  // The SAS is made first: a link spent on a failed signing would leave the user with nothing.
  const sasExpiresAt = downloadSasExpiry(now, record.linkExpiresAt);
  const location = await readOnlyLink(
    linkStorage,
    config.DELIVERY_CONTAINER,
    deliveryBlobName(requestId),
    sasExpiresAt,
    now,
    {
      contentDisposition: `attachment; filename="${deliveryFileName(record.upn)}"`,
      contentType: "application/x-pkcs12",
    },
  );
  if (!(await deliveries.transition(record, { state: "downloaded", downloadedAt: now }))) {
    return gone("this download link was already used: it works once");
  }
  const event: DownloadedEvent = { sasExpiresAt: sasExpiresAt.toISOString() };
  await raiseQuietly(context, record.instanceId, DELIVERY_DOWNLOADED_EVENT, { ...event });
  await ledger
    .appendAudit({
      id: `${requestId}:delivery:downloaded`,
      at: now,
      actor: "anonymous:download-link",
      action: "delivery.downloaded",
      subject: record.upn,
      reason: "one-time download link used; package readable until the SAS expires, then deleted",
      source: "api",
      requestId,
      details: { thumbprint: record.thumbprint, sasExpiresAt: event.sasExpiresAt },
    })
    .catch((error: unknown) => {
      const why = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
      context.warn(`delivery ${requestId}: download not audited: ${why}`);
    });
  return {
    status: 302,
    headers: { location, "cache-control": "no-store", "referrer-policy": "no-referrer" },
  };
}

app.http("downloadDeliveryPackage", {
  route: `${DELIVERIES_ROUTE}/{requestId}/package`,
  methods: ["GET"],
  authLevel: "anonymous",
  extraInputs: [df.input.durableClient()],
  handler: downloadDeliveryPackage,
});
