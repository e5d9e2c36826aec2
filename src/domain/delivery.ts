// Delivery of an issued certificate, the pure part: names of the blob and the passphrase secret, the link's expiry,
// the one-time download token (only its hash is stored), and the delivery record's states.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A delivery waits for its user at most this long (the ceiling; DELIVERY_LINK_HOURS may be shorter). */
export const MAX_DELIVERY_HOURS = 72;
/** The SAS a download is redirected to lives this long: long enough to start the download, short enough to die. */
export const DOWNLOAD_SAS_MS = 2 * 60_000;
/** The blob is deleted this long after the download's SAS has expired (clock skew between app and Storage). */
export const DOWNLOAD_GRACE_MS = 60_000;

/**
 * ready: the package and the passphrase secret exist; collected: the passphrase has been read (once) and a download
 * token issued; downloaded: the download link has been used (once); closed: blob and secret removed.
 */
export const DELIVERY_STATES = ["ready", "collected", "downloaded", "closed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

const REQUEST_ID = /^[0-9a-f]{32}$/;

function checkedRequestId(requestId: string): string {
  if (!REQUEST_ID.test(requestId)) throw new Error("a delivery is named after a request id (32 hex digits)");
  return requestId;
}

/** Key Vault secret holding the one-time passphrase: letters, digits and dashes, under 127 characters. */
export function deliverySecretName(requestId: string): string {
  return `p2s-delivery-${checkedRequestId(requestId)}`;
}

/** The PKCS#12's blob name in the delivery container: the request id alone, never the user's name. */
export function deliveryBlobName(requestId: string): string {
  return `${checkedRequestId(requestId)}.p12`;
}

/** File name the download is offered under: the UPN's local part, for the user to recognise, or "certificate". */
export function deliveryFileName(upn: string): string {
  const local = upn.split("@")[0] ?? "";
  const safe = local.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64);
  return `${safe === "" ? "certificate" : safe}.p12`;
}

/** When the link, passphrase and package of a delivery started at `start` expire. */
export function deliveryExpiry(start: Date, hours: number): Date {
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_DELIVERY_HOURS) {
    throw new Error(`a delivery lasts 1 to ${MAX_DELIVERY_HOURS} hours`);
  }
  return new Date(start.getTime() + hours * 3_600_000);
}

/** When a download's SAS expires: DOWNLOAD_SAS_MS from now, never after the delivery's own expiry. */
export function downloadSasExpiry(now: Date, deliveryExpiresAt: Date): Date {
  return new Date(Math.min(now.getTime() + DOWNLOAD_SAS_MS, deliveryExpiresAt.getTime()));
}

/** A fresh one-time download token (256 bits, URL-safe) and the hash that is stored instead of it. */
export function newDownloadToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: downloadTokenHash(token) };
}

export function downloadTokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time comparison of a presented token with the stored hash. */
export function downloadTokenMatches(presented: string, storedHash: string | undefined): boolean {
  if (storedHash === undefined || !/^[0-9a-f]{64}$/.test(storedHash)) return false;
  const a = Buffer.from(downloadTokenHash(presented), "hex");
  const b = Buffer.from(storedHash, "hex");
  return timingSafeEqual(a, b);
}
