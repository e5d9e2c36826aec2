// What the delivery routes share: the 410 they answer once a credential or link is spent, the download link's URL on
// this app, and raising a delivery's event without failing the answer when the instance cannot hear it.
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { DeliveryRecord } from "../clients/delivery-records";
import type { Ledger } from "../clients/ledger";
import { problem } from "./http-validation";

export const DELIVERIES_ROUTE = "v1/deliveries";

export function gone(detail: string): HttpResponseInit {
  return problem(410, "Gone", detail);
}

/**
 * The one-time download link on this app (same scheme, host and /api prefix as the caller used). The token is the
 * only capability in it: 256 random bits, stored as a hash, dead after one use or at the delivery's expiry.
 */
export function downloadUrl(request: Pick<HttpRequest, "url">, requestId: string, token: string): string {
  const url = new URL(request.url);
  const apiRoot = url.pathname.slice(0, url.pathname.indexOf("/v1/") + 1);
  const link = new URL(`${apiRoot}${DELIVERIES_ROUTE}/${requestId}/package`, url.origin);
  link.searchParams.set("token", token);
  return link.toString();
}

/**
 * Tells the delivery instance; a failure is logged, not answered: the record already holds the new state, and the
 * delivery reads it when it closes, so a lost event only leaves the cleanup to the expiry.
 */
export async function raiseQuietly(
  context: InvocationContext,
  instanceId: string,
  eventName: string,
  data: Record<string, string>,
): Promise<void> {
  try {
    await df.getClient(context).raiseEvent(instanceId, eventName, data);
  } catch (error) {
    const why = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    context.warn(`delivery instance ${instanceId} did not take ${eventName}: ${why}`);
  }
}

/**
 * Why the delivered certificate may no longer be handed out (revoked by an offboarding or a lost-device reissue,
 * expired, or no longer listed), or undefined while it is active.
 */
export async function notActive(
  ledger: Pick<Ledger, "getCertificate">,
  delivery: Pick<DeliveryRecord, "upn" | "certificateName" | "thumbprint">,
): Promise<string | undefined> {
  const certificate = await ledger.getCertificate(delivery.upn, delivery.certificateName);
  if (certificate?.thumbprint !== delivery.thumbprint) return "the delivered certificate is no longer listed";
  if (certificate.status !== "active") return `the delivered certificate is ${certificate.status}`;
  if (certificate.notAfter !== undefined && certificate.notAfter.getTime() <= Date.now()) {
    return "the delivered certificate has expired";
  }
  return undefined;
}
