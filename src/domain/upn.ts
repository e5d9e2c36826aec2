// User principal names: checked before anything reaches Key Vault or a certificate subject, compared without case,
// and never embedded raw in Key Vault object names.
//
// Policy (decided here, relied on elsewhere):
// - Shape `local@domain`, exactly one "@", ASCII only (Entra ID does not accept non-ASCII UPNs; an IDN domain must
//   already be in its xn-- form).
// - Local part: a dot-atom (no leading, trailing or doubled dot) over Entra ID's UPN alphabet, A-Z a-z 0-9 and
//   ' . - _ ! ^ ~. Entra also allows "#", but "#" is a DN metacharacter and guest UPNs (`x#EXT#@tenant`) are refused
//   on purpose. The same alphabet keeps the UPN safe as an Azure Table key (no / \ # ?).
// - Domain: DNS host name with at least two labels, labels 1-63 of letters, digits and inner hyphens, and a
//   non-numeric top-level label.
// - Lengths are Entra ID's: local part ≤ 64, domain ≤ 48, whole UPN ≤ 113. RFC 5280's upper bound of 64 for a
//   common name is not applied: the gateway requires CN = UPN, and Windows, OpenSSL and the gateway accept longer CNs.
// - Case is kept for display and for the certificate subject; comparisons and ledger keys use `upnKey()`.
import { createHash } from "node:crypto";

declare const upnBrand: unique symbol;
/** A UPN that passed `parseUpn`. Only `parseUpn`/`assertUpn` produce it. */
export type Upn = string & { readonly [upnBrand]: true };

export type UpnResult = { readonly ok: true; readonly upn: Upn } | { readonly ok: false; readonly reason: string };

export const UPN_MAX_LENGTH = 113;
export const UPN_LOCAL_MAX_LENGTH = 64;
export const UPN_DOMAIN_MAX_LENGTH = 48;

const DN_METACHARACTERS = new Set([",", "+", "=", '"', "\\", "<", ">", ";", "#"]);
const LOCAL_CHAR = /^[A-Za-z0-9'._!^~-]$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const SHOWN_MAX = 120;

export class InvalidUpnError extends Error {
  override readonly name = "InvalidUpnError";
}

export function parseUpn(input: unknown): UpnResult {
  if (typeof input !== "string") return fail(`UPN must be a string, got ${input === null ? "null" : typeof input}`);
  if (input === "") return fail("UPN is empty");
  const shown = show(input);
  if (input.length > UPN_MAX_LENGTH) {
    return fail(`UPN '${shown}' is ${input.length} characters long; the limit is ${UPN_MAX_LENGTH}`);
  }
  for (const char of input) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f)) {
      return fail(`UPN '${shown}' contains the control character U+${hex4(code)}, which is not allowed`);
    }
    if (/\s/u.test(char)) return fail(`UPN '${shown}' contains whitespace (U+${hex4(code)}), which is not allowed`);
    if (DN_METACHARACTERS.has(char)) return fail(`UPN '${shown}' contains '${char}' which is not allowed`);
    if (code > 0x7e)
      return fail(`UPN '${shown}' contains the non-ASCII character U+${hex4(code)}, which is not allowed`);
  }
  const at = input.split("@");
  if (at.length === 1) return fail(`UPN '${shown}' has no '@'`);
  if (at.length > 2) return fail(`UPN '${shown}' has more than one '@'`);
  const [local = "", domain = ""] = at;
  return checkLocal(local, shown) ?? checkDomain(domain, shown) ?? { ok: true, upn: input as Upn };
}

/** Like `parseUpn`, for callers that treat a bad UPN as a bug or a refused request: throws `InvalidUpnError`. */
export function assertUpn(input: unknown): Upn {
  const result = parseUpn(input);
  if (!result.ok) throw new InvalidUpnError(result.reason);
  return result.upn;
}

/** The case-insensitive identity of a UPN: use it for ledger keys, maps and comparisons. */
export function upnKey(upn: Upn): string {
  return upn.toLowerCase();
}

export function sameUpn(a: Upn, b: Upn): boolean {
  return upnKey(a) === upnKey(b);
}

export const KEY_VAULT_NAME_MAX_LENGTH = 127;
const KEY_VAULT_PREFIX = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;
const REQUEST_ID_MAX_LENGTH = 256;

/**
 * A Key Vault certificate name for one user and one issuance request: `<prefix>-<32 hex>`, deterministic so that a
 * retried activity finds the object it created, and free of the UPN itself (names show in logs, URLs and metrics).
 * The hash is a SHA-256 over the UPN key and the request id, truncated to 128 bits.
 */
export function keyVaultCertificateName(upn: Upn, requestId: string, prefix = "p2s-user"): string {
  if (!KEY_VAULT_PREFIX.test(prefix)) {
    throw new Error(`Key Vault name prefix '${show(prefix)}' must be a letter then up to 62 of [0-9A-Za-z-]`);
  }
  if (requestId === "" || requestId.length > REQUEST_ID_MAX_LENGTH) {
    throw new Error(`request id must be 1-${REQUEST_ID_MAX_LENGTH} characters`);
  }
  // The NUL separator cannot occur in a valid UPN, so (upn, requestId) pairs cannot collide by concatenation.
  const digest = createHash("sha256").update(upnKey(upn)).update("\0").update(requestId).digest("hex");
  return `${prefix}-${digest.slice(0, 32)}`;
}

function checkLocal(local: string, shown: string): UpnResult | undefined {
  if (local === "") return fail(`UPN '${shown}' has nothing before the '@'`);
  if (local.length > UPN_LOCAL_MAX_LENGTH) {
    return fail(
      `UPN '${shown}' has a ${local.length}-character name before the '@'; the limit is ${UPN_LOCAL_MAX_LENGTH}`,
    );
  }
  for (const char of local) {
    if (!LOCAL_CHAR.test(char)) return fail(`UPN '${shown}' contains '${char}' which is not allowed`);
  }
  if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    return fail(`UPN '${shown}' has a misplaced '.' before the '@' (leading, trailing or doubled)`);
  }
  return undefined;
}

function checkDomain(domain: string, shown: string): UpnResult | undefined {
  if (domain === "") return fail(`UPN '${shown}' has no domain after the '@'`);
  if (domain.length > UPN_DOMAIN_MAX_LENGTH) {
    return fail(`UPN '${shown}' has a ${domain.length}-character domain; the limit is ${UPN_DOMAIN_MAX_LENGTH}`);
  }
  const labels = domain.split(".");
  if (labels.length < 2) return fail(`UPN '${shown}' has a domain without a '.'`);
  for (const label of labels) {
    if (!DOMAIN_LABEL.test(label)) {
      return fail(`UPN '${shown}' has an invalid domain label '${label}' (1-63 letters, digits, inner hyphens)`);
    }
  }
  const top = labels[labels.length - 1] ?? "";
  if (/^[0-9]+$/.test(top)) return fail(`UPN '${shown}' has a numeric top-level domain`);
  return undefined;
}

function fail(reason: string): UpnResult {
  return { ok: false, reason };
}

// Error text may reach logs: escape anything unprintable and cut very long input.
function show(value: string): string {
  let out = "";
  for (const char of value.length > SHOWN_MAX ? value.slice(0, SHOWN_MAX) : value) {
    const code = char.codePointAt(0) ?? 0;
    out += code < 0x20 || (code >= 0x7f && code <= 0x9f) || /\s/u.test(char) ? `\\u${hex4(code)}` : char;
  }
  return value.length > SHOWN_MAX ? `${out}…` : out;
}

function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, "0");
}
