// Sends one signed callback: the URL's static checks again (the allowlist may have changed since the request came),
// then the name is resolved and every address checked, and the connection goes to the checked address (a second
// resolution could answer differently: DNS rebinding). TLS still verifies the certificate against the URL's name.
// Redirects are not followed; the answer's body is never read.
import { promises as dns } from "node:dns";
import type { LookupAddress } from "node:dns";
import { request } from "node:https";
import type { RequestOptions } from "node:https";
import type { IncomingMessage } from "node:http";
import { rootCertificates } from "node:tls";
import { checkCallbackUrl, SANDBOX_LOOPBACK_HOSTS } from "../domain/callback-url";
import { forbiddenAddress } from "../domain/address-ranges";
import { retryAfterMs, verdictOf } from "../domain/callback-policy";
import type { CallbackVerdict } from "../domain/callback-policy";
import { signedHeaders } from "../domain/request-signature";

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Every address a name resolves to (the system resolver, as a connection would use it). */
export type Resolve = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolve: Resolve = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

export interface CallbackSenderOptions {
  readonly allowlist: readonly string[];
  /** The sandbox only (P2S_CREDENTIAL=localEmulator): its loopback receivers may be called. */
  readonly loopbackAllowed: boolean;
  /** Shared secret the body is signed with (TICKETING_SHARED_SECRET). */
  readonly secret: string;
  /** Time limit of the attempt: resolution, connection, TLS and the answer's status line and headers. */
  readonly timeoutMs: number;
  /** A PEM CA trusted besides the public roots (P2S_TRUSTED_CA_FILE: the sandbox's CA). */
  readonly extraCa?: string;
  readonly resolve?: Resolve;
  readonly now?: () => number;
  readonly userAgent?: string;
}

export interface CallbackAttempt {
  readonly verdict: CallbackVerdict;
  /** The receiver's HTTP status, when it answered. */
  readonly status?: number;
  /** Why, in words fit for the audit (no secret, no signature, nothing the receiver wrote). */
  readonly reason: string;
  readonly retryAfterMs?: number;
}

/** POSTs `body` (JSON) to `rawUrl`, signed; answers what happened, never throws for what the receiver did. */
export async function sendSignedCallback(
  rawUrl: string,
  body: string,
  options: CallbackSenderOptions,
): Promise<CallbackAttempt> {
  const now = options.now ?? Date.now;
  const checked = checkCallbackUrl(rawUrl, options.allowlist, { loopbackAllowed: options.loopbackAllowed });
  if (!checked.ok) return { verdict: "refused", reason: checked.reason };
  const url = new URL(checked.url);
  const signal = AbortSignal.timeout(options.timeoutMs);
  let target: ResolvedAddress;
  try {
    const pinned = await withSignal(addressToCall(url.hostname, options), signal);
    if ("refused" in pinned) return { verdict: "refused", reason: pinned.refused };
    target = pinned;
  } catch (error) {
    return { verdict: "retry", reason: `could not resolve ${url.hostname}: ${errorCode(error)}` };
  }
  const headers = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    "user-agent": options.userAgent ?? "p2s-lifecycle",
    ...signedHeaders(options.secret, body, now()),
  };
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const requestOptions: RequestOptions = {
    method: "POST",
    host,
    port: url.port === "" ? 443 : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers,
    // A fresh connection each time: a pooled one could lead to an address this attempt did not check.
    agent: false,
    signal,
    lookup: pinnedLookup(target),
    ...(options.extraCa === undefined ? {} : { ca: [...rootCertificates, options.extraCa] }),
  };
  try {
    const response = await post(requestOptions, body);
    const status = response.statusCode ?? 0;
    const verdict = verdictOf(status);
    const header = response.headers["retry-after"];
    const wait = verdict === "retry" ? retryAfterMs(header, now()) : undefined;
    return {
      verdict,
      status,
      reason: reasonOf(status, verdict),
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    };
  } catch (error) {
    const code = signal.aborted ? `no answer within ${String(options.timeoutMs)} ms` : errorCode(error);
    return { verdict: "retry", reason: `the receiver could not be reached: ${code}` };
  }
}

/** The one address to connect to, after checking every address the name resolves to; or why none may be called. */
async function addressToCall(
  hostname: string,
  options: CallbackSenderOptions,
): Promise<ResolvedAddress | { refused: string }> {
  const sandboxLoopback = options.loopbackAllowed && SANDBOX_LOOPBACK_HOSTS.has(hostname);
  const literal = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  const addresses =
    hostname === "127.0.0.1" || hostname === "[::1]"
      ? [{ address: literal, family: hostname === "[::1]" ? 6 : 4 }]
      : await (options.resolve ?? systemResolve)(hostname);
  if (addresses.length === 0) throw new Error("ENODATA");
  for (const { address } of addresses) {
    const why = forbiddenAddress(address);
    // The sandbox's own loopback names may lead to loopback addresses, and nowhere else.
    const allowed = why === undefined ? !sandboxLoopback : sandboxLoopback && isLoopbackAddress(address);
    if (!allowed) {
      return { refused: `callbackUrl host ${hostname} resolves to ${address} (${why ?? "not loopback"})` };
    }
  }
  const [first] = addresses;
  if (first === undefined) throw new Error("ENODATA");
  return first;
}

function isLoopbackAddress(address: string): boolean {
  return address === "::1" || forbiddenAddress(address) === "loopback";
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for the connection that answers the checked address and never asks DNS again. */
function pinnedLookup(target: ResolvedAddress): NonNullable<RequestOptions["lookup"]> {
  const lookup = (_hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
    if (options.all === true) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  return lookup;
}

/** Sends the request and resolves with the answer's head; the body is discarded unread and the socket closed. */
function post(options: RequestOptions, body: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(options, (response) => {
      response.destroy();
      resolve(response);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function withSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      reject(new Error("ETIMEOUT"));
    };
    signal.addEventListener("abort", abort, { once: true });
    work.then(resolve, reject).finally(() => {
      signal.removeEventListener("abort", abort);
    });
  });
}

function reasonOf(status: number, verdict: CallbackVerdict): string {
  if (verdict === "delivered") return `the receiver accepted it (${String(status)})`;
  if (status >= 300 && status < 400)
    return `the receiver answered a redirect (${String(status)}), which is not followed`;
  if (verdict === "refused") return `the receiver refused it (${String(status)})`;
  return `the receiver answered ${String(status)}; will try again`;
}

/** An error's code (ECONNREFUSED, CERT_HAS_EXPIRED...) or first line: never a header or a body. */
function errorCode(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ?? error.message.split("\n")[0] ?? "error";
  }
  return String(error);
}
