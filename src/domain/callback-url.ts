// The static checks of a ticket's callback URL, made when the request arrives and again before every attempt (the
// allowlist may have changed). What the name resolves to is checked at send time (src/clients/callback-sender.ts).
import { isIP } from "node:net";

export type CallbackUrlCheck =
  { readonly ok: true; readonly url: string } | { readonly ok: false; readonly reason: string };

export interface CallbackUrlOptions {
  /**
   * Accept the loopback names (localhost, 127.0.0.1, [::1]) for the sandbox's own receivers. Only the sandbox sets it
   * (P2S_CREDENTIAL=localEmulator, see callbackLoopbackAllowed in src/config-callbacks.ts); the allowlist still applies.
   */
  readonly loopbackAllowed?: boolean;
}

const MAX_LENGTH = 2048;
/** The loopback hosts the sandbox may call, as URL.hostname writes them. */
export const SANDBOX_LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);
// Special-use and internal names that never name a public receiver (RFC 6761, RFC 6762, RFC 8375, .internal).
const INTERNAL_SUFFIXES = [
  "localhost",
  "local",
  "localdomain",
  "internal",
  "intranet",
  "lan",
  "home.arpa",
  "in-addr.arpa",
  "ip6.arpa",
  "test",
  "invalid",
  "example",
  "onion",
];

/** Checks a callback URL against the static rules and the allowlist (https origins); answers it normalised. */
export function checkCallbackUrl(
  raw: string,
  allowlist: readonly string[],
  options: CallbackUrlOptions = {},
): CallbackUrlCheck {
  if (raw.length > MAX_LENGTH) return refuse(`must be at most ${String(MAX_LENGTH)} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("must be an absolute URL");
  }
  if (url.protocol !== "https:") return refuse("must be https");
  if (url.username !== "" || url.password !== "") return refuse("must not carry credentials");
  if (url.hash !== "") return refuse("must not have a fragment");
  const host = url.hostname;
  const loopback = options.loopbackAllowed === true && SANDBOX_LOOPBACK_HOSTS.has(host);
  if (!loopback) {
    const problem = hostProblem(host);
    if (problem !== undefined) return refuse(problem);
  }
  if (!allowlist.some((entry) => originOf(entry) === url.origin)) {
    return refuse(`origin ${url.origin} is not in TICKETING_CALLBACK_ALLOWLIST`);
  }
  return { ok: true, url: url.href };
}

/**
 * Why a URL's hostname (as URL.hostname writes it: lower case, punycode, IPv4 in any notation already turned into
 * dotted decimal, IPv6 in brackets) may not be called back, or undefined.
 */
export function hostProblem(host: string): string | undefined {
  if (host.startsWith("[") || isIP(host) !== 0 || /^[0-9.]+$/.test(host)) return "must name a host, not an IP address";
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  // An empty name has no dot either.
  if (!name.includes(".")) return "must be a fully qualified domain name";
  const internal = INTERNAL_SUFFIXES.find((suffix) => name === suffix || name.endsWith(`.${suffix}`));
  if (internal !== undefined) return `must not be a .${internal} name`;
  if (name.startsWith("localhost")) return "must not be a localhost name";
  return undefined;
}

function originOf(entry: string): string | undefined {
  try {
    return new URL(entry).origin;
  } catch {
    return undefined;
  }
}

const refuse = (reason: string): CallbackUrlCheck => ({ ok: false, reason: `callbackUrl ${reason}` });
