// SHA-1 certificate thumbprints in the one form the gateway's revocation list uses: 40 uppercase hex digits, no
// separators. Key Vault's SDK gives lowercase, Windows shows spaced pairs (and its dialog copies a hidden U+200E),
// OpenSSL prints colon-separated pairs: every input goes through `normaliseThumbprint` before it is compared or stored.
import { createHash } from "node:crypto";

export type ThumbprintResult =
  { readonly ok: true; readonly thumbprint: string } | { readonly ok: false; readonly reason: string };

/** Thumbprint of a DER certificate: SHA-1 over the whole DER encoding, uppercase hex. */
export function thumbprintOf(certificateDer: Uint8Array): string {
  if (certificateDer.length === 0) throw new Error("cannot take the thumbprint of an empty certificate");
  return createHash("sha1").update(certificateDer).digest("hex").toUpperCase();
}

// Separators people paste: spaces and tabs, colons, hyphens, and the bidi marks Windows' certificate dialog inserts.
const SEPARATORS = /[\s:\-\u200e\u200f\u202a-\u202e\ufeff]/gu;

export function parseThumbprint(input: string): ThumbprintResult {
  const compact = input.replace(SEPARATORS, "");
  if (compact === "") return { ok: false, reason: "thumbprint is empty" };
  if (!/^[0-9A-Fa-f]+$/.test(compact)) return { ok: false, reason: "thumbprint contains characters other than hex" };
  if (compact.length !== 40) {
    return { ok: false, reason: `thumbprint has ${compact.length} hex digits; a SHA-1 thumbprint has 40` };
  }
  return { ok: true, thumbprint: compact.toUpperCase() };
}

/** Normalises any common spelling of a thumbprint; throws when it is not 40 hex digits. */
export function normaliseThumbprint(input: string): string {
  const result = parseThumbprint(input);
  if (!result.ok) throw new Error(result.reason);
  return result.thumbprint;
}

export function sameThumbprint(a: string, b: string): boolean {
  return normaliseThumbprint(a) === normaliseThumbprint(b);
}
