// Delivers an issued certificate to its user: the password-protected PKCS#12 waits in a private blob container, its
// passphrase (made inside an activity) only as a Key Vault secret that expires with the delivery. The credential
// endpoint reads the passphrase once and hands out a one-time download link; the download route redirects once to a
// short read-only SAS. This orchestration waits for those two events or the expiry, then removes blob and secret.
// Nothing secret passes through it: inputs, outputs, events and custom status hold names, thumbprints and times.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from "durable-functions";
import { run } from "../activities/define";
import { closeDelivery, openDelivery, planDelivery, prepareDeliveryPackage } from "../activities/delivery";
import { DOWNLOAD_GRACE_MS } from "../domain/delivery";

export const DELIVER_CERTIFICATE_ORCHESTRATION = "deliverCertificate";
/** Raised by GET /api/v1/requests/{requestId}/credential once the passphrase has been read. */
export const DELIVERY_COLLECTED_EVENT = "deliveryCollected";
/** Raised by the download route once it has redirected to the package. */
export const DELIVERY_DOWNLOADED_EVENT = "deliveryDownloaded";

/** The sub-orchestration's instance id under its parent: one delivery per lifecycle request. */
export function deliveryInstanceId(parentInstanceId: string): string {
  return `${parentInstanceId}:delivery`;
}

export interface DeliveryInput {
  readonly requestId: string;
  readonly upn: string;
  readonly certificateName: string;
  /** Uppercase SHA-1 thumbprint of the issued certificate (what the ledger lists). */
  readonly thumbprint: string;
  /** Set by deliverCertificateFrom (planned by the parent); computed here when absent. */
  readonly linkExpiresAt?: string;
}

export interface DeliveryOutcome {
  /** The passphrase was read before the expiry. */
  readonly collected: boolean;
  readonly thumbprint: string;
  /** The certificate's notAfter (ISO). */
  readonly notAfter: string;
  /** When the passphrase, link and package stopped (or stop) being available (ISO). */
  readonly linkExpiresAt: string;
  /** The package was downloaded (the link used) before the expiry. */
  readonly downloaded?: boolean;
  /** Why the delivery ended uncollected or undownloaded. */
  readonly reason?: string;
}

export type DeliveryStep = "preparing" | "awaiting-collection" | "awaiting-download" | "cleaning-up" | "done";

/** The custom status: the step, and once planned the link's expiry. Parents copy it into theirs. */
export interface DeliveryStatus {
  readonly step: DeliveryStep;
  readonly linkExpiresAt: string;
}

/** Payload of DELIVERY_DOWNLOADED_EVENT: when the SAS the download was redirected to expires. */
export interface DownloadedEvent {
  readonly sasExpiresAt: string;
}

const retry = new df.RetryOptions(5000, 6);
retry.backoffCoefficient = 2;
retry.maxRetryIntervalInMilliseconds = 5 * 60_000;

/**
 * For the parent (lifecycleRequest): plans the link's expiry, sets the parent's custom status to
 * `{ step: "awaiting-collection", linkExpiresAt }`, and runs the delivery as a sub-orchestration under
 * deliveryInstanceId(parent). The outcome carries thumbprint, notAfter and linkExpiresAt for the request's result.
 */
export function* deliverCertificateFrom(
  context: OrchestrationContext,
  input: Omit<DeliveryInput, "linkExpiresAt">,
): Generator<Task, DeliveryOutcome, unknown> {
  const planned = yield* run(planDelivery, { startedAt: context.df.currentUtcDateTime.toISOString() }, retry);
  const status: DeliveryStatus = { step: "awaiting-collection", linkExpiresAt: planned.linkExpiresAt };
  context.df.setCustomStatus(status);
  const outcome: unknown = yield context.df.callSubOrchestrator(
    DELIVER_CERTIFICATE_ORCHESTRATION,
    { ...input, linkExpiresAt: planned.linkExpiresAt } satisfies DeliveryInput,
    deliveryInstanceId(context.df.instanceId),
  );
  return outcome as DeliveryOutcome;
}

export const deliverCertificate: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<DeliveryInput>();
  const linkExpiresAt =
    input.linkExpiresAt ??
    (yield* run(planDelivery, { startedAt: context.df.currentUtcDateTime.toISOString() }, retry)).linkExpiresAt;
  const status = (step: DeliveryStep): void => {
    context.df.setCustomStatus({ step, linkExpiresAt } satisfies DeliveryStatus);
  };

  status("preparing");
  const named = {
    requestId: input.requestId,
    upn: input.upn,
    certificateName: input.certificateName,
    thumbprint: input.thumbprint,
  };
  const prepared = yield* run(prepareDeliveryPackage, { ...named, linkExpiresAt }, retry);
  yield* run(
    openDelivery,
    { ...named, notAfter: prepared.notAfter, linkExpiresAt, instanceId: context.df.instanceId },
    retry,
  );

  status("awaiting-collection");
  const expiry: TimerTask = context.df.createTimer(new Date(linkExpiresAt));
  const collection = context.df.waitForExternalEvent(DELIVERY_COLLECTED_EVENT);
  let heardCollected = (yield context.df.Task.any([collection, expiry])) === collection;
  let heardDownloaded = false;
  if (heardCollected) {
    status("awaiting-download");
    const download = context.df.waitForExternalEvent(DELIVERY_DOWNLOADED_EVENT);
    heardDownloaded = (yield context.df.Task.any([download, expiry])) === download;
    if (heardDownloaded) {
      expiry.cancel();
      // The redirect's SAS still reads the blob until it expires: delete it right after, never after the expiry.
      const sasExpiresAt = Date.parse((download.result as DownloadedEvent).sasExpiresAt);
      const until = Math.min(sasExpiresAt + DOWNLOAD_GRACE_MS, Date.parse(linkExpiresAt));
      if (until > context.df.currentUtcDateTime.getTime()) yield context.df.createTimer(new Date(until));
    }
  }

  status("cleaning-up");
  // The record has the last word: an event lost on its way (or still in flight) does not hide a collection.
  const closed = yield* run(closeDelivery, { requestId: input.requestId }, retry);
  heardCollected ||= closed.collected;
  heardDownloaded ||= closed.downloaded;
  status("done");
  const reason = !heardCollected
    ? "the passphrase was not collected before the delivery expired; package and passphrase removed"
    : !heardDownloaded
      ? "the package was not downloaded before the delivery expired; package removed"
      : undefined;
  const outcome: DeliveryOutcome = {
    collected: heardCollected,
    downloaded: heardDownloaded,
    thumbprint: input.thumbprint,
    notAfter: prepared.notAfter,
    linkExpiresAt,
    ...(reason === undefined ? {} : { reason }),
  };
  return outcome;
};

df.app.orchestration(DELIVER_CERTIFICATE_ORCHESTRATION, deliverCertificate);
