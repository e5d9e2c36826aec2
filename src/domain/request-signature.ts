// HMAC-SHA256 signatures of ticketing requests and of the callbacks the app sends back: the same scheme both ways,
// `X-Request-Timestamp: <unix seconds>` and `X-Signature-256: sha256=<hex of HMAC(secret, "<timestamp>.<raw body>")>`.
// The timestamp is inside the signed text so a captured request cannot be replayed outside the freshness window.
import { createHmac, timingSafeEqual } from "node:crypto";

export const TIMESTAMP_HEADER = "x-request-timestamp";
export const SIGNATURE_HEADER = "x-signature-256";
/** How far a signed timestamp may be from the receiver's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300;

const SIGNATURE_FORMAT = /^sha256=([0-9a-f]{64})$/;
const TIMESTAMP_FORMAT = /^[0-9]{1,12}$/;

/** The header value for a body signed at `timestampSeconds`. */
export function signatureOf(secret: string, timestampSeconds: number, rawBody: Uint8Array | string): string {
  const mac = createHmac("sha256", secret);
  mac.update(`${String(timestampSeconds)}.`);
  mac.update(rawBody);
  return `sha256=${mac.digest("hex")}`;
}

/** Both headers for a body signed now (callbacks, the sandbox and tests use this). */
export function signedHeaders(
  secret: string,
  rawBody: Uint8Array | string,
  nowMs: number,
): Record<typeof TIMESTAMP_HEADER | typeof SIGNATURE_HEADER, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signatureOf(secret, timestamp, rawBody) };
}

export type SignatureCheck =
  | { readonly ok: true; readonly secretIndex: number }
  | { readonly ok: false; readonly reason: "missing" | "malformed" | "stale" | "mismatch" };

/**
 * Checks a request's signature against every accepted secret (two during a rotation), in constant time per secret.
 * `nowMs` is the receiver's clock; a timestamp more than the window away from it, in either direction, is stale.
 */
export function checkSignature(
  secrets: readonly string[],
  timestampHeader: string | null | undefined,
  signatureHeader: string | null | undefined,
  rawBody: Uint8Array | string,
  nowMs: number,
): SignatureCheck {
  if (timestampHeader == null || signatureHeader == null || timestampHeader === "" || signatureHeader === "") {
    return { ok: false, reason: "missing" };
  }
  const given = SIGNATURE_FORMAT.exec(signatureHeader.trim().toLowerCase());
  if (!TIMESTAMP_FORMAT.test(timestampHeader.trim()) || given === null) return { ok: false, reason: "malformed" };
  const timestamp = Number(timestampHeader.trim());
  if (Math.abs(nowMs / 1000 - timestamp) > SIGNATURE_WINDOW_SECONDS) return { ok: false, reason: "stale" };
  const givenBytes = Buffer.from(given[1] ?? "", "hex");
  let matched = -1;
  // Every secret is compared, matched or not, so the time taken does not tell which secret matched.
  secrets.forEach((secret, index) => {
    const expected = Buffer.from(signatureOf(secret, timestamp, rawBody).slice("sha256=".length), "hex");
    if (timingSafeEqual(expected, givenBytes) && matched === -1) matched = index;
  });
  return matched === -1 ? { ok: false, reason: "mismatch" } : { ok: true, secretIndex: matched };
}
