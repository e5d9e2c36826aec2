// Downloads the package from the URL generatevpnprofile returned: https only, to allowed hosts only, redirects only
// to the same host (at most three), bounded in size (Content-Length and the bytes actually read) and in time.
import { request } from "node:https";
import type { IncomingMessage } from "node:http";

export interface DownloadLimits {
  /** Host names, or *.suffix patterns, lower-case. */
  readonly allowedHosts: readonly string[];
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Extra CA to trust (P2S_TRUSTED_CA_FILE's PEM); the system's CAs otherwise. */
  readonly ca?: string;
}

export class DownloadRefused extends Error {
  override readonly name = "DownloadRefused";
}

const MAX_REDIRECTS = 3;

export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase();
  return patterns.some((p) => (p.startsWith("*.") ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p));
}

/** The URL as it may be fetched, or why not. */
export function checkDownloadUrl(raw: string, allowedHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DownloadRefused("the package URL is not a URL");
  }
  if (url.protocol !== "https:") throw new DownloadRefused(`the package URL is not https (${url.protocol})`);
  if (url.username !== "" || url.password !== "") throw new DownloadRefused("the package URL carries credentials");
  if (!hostAllowed(url.hostname, allowedHosts)) {
    throw new DownloadRefused(`the package host ${url.hostname} is not in PROFILE_DOWNLOAD_HOSTS`);
  }
  return url;
}

export async function downloadProfilePackage(raw: string, limits: DownloadLimits): Promise<Buffer> {
  const first = checkDownloadUrl(raw, limits.allowedHosts);
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  let url = first;
  for (let hop = 0; ; hop++) {
    const response = await get(url, limits, deadline);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400) {
      response.resume();
      const location = response.headers.location;
      if (location === undefined) throw new DownloadRefused(`the download answered ${status} without a Location`);
      if (hop >= MAX_REDIRECTS) throw new DownloadRefused("too many redirects");
      const next = new URL(location, url);
      if (next.protocol !== "https:" || next.host.toLowerCase() !== first.host.toLowerCase()) {
        throw new DownloadRefused(`the download redirected to another host (${next.protocol}//${next.host})`);
      }
      url = next;
      continue;
    }
    if (status !== 200) {
      response.resume();
      throw new DownloadRefused(`the download answered ${status}`);
    }
    return readBody(response, limits.maxBytes, deadline);
  }
}

function get(url: URL, limits: DownloadLimits, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", signal, ...(limits.ca === undefined ? {} : { ca: limits.ca }) }, resolve);
    req.on("error", (error) => {
      reject(signal.aborted ? new DownloadRefused(`the download took longer than ${limits.timeoutMs} ms`) : error);
    });
    req.end();
  });
}

function readBody(response: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(response.headers["content-length"] ?? "0");
  if (declared > maxBytes) {
    response.destroy();
    return Promise.reject(new DownloadRefused(`the package is larger than ${maxBytes} bytes (${declared})`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        response.destroy(new DownloadRefused(`the package is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.on("end", () => {
      resolve(Buffer.concat(chunks));
    });
    response.on("error", (error) => {
      reject(
        signal.aborted && !(error instanceof DownloadRefused) ? new DownloadRefused("the download timed out") : error,
      );
    });
  });
}
