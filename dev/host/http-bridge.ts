// Converts between node's HTTP objects and the RPC http TypedData the worker exchanges with the host.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { typedDataBytes } from "./rpc";
import type { RpcHttp, RpcHttpCookie } from "./rpc";

/** The host's request body limit (Azure Functions: 100 MB). */
const MAX_BODY_BYTES = 100 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** One value per header name, repeated headers joined with ", " (cookies with "; "). */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(name === "cookie" ? "; " : ", ") : value;
  }
  return flat;
}

/** Query parameters as the host passes them: one string per name, repeated values joined with ",". */
export function flattenQuery(query: URLSearchParams): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name of new Set(query.keys())) flat[name] = query.getAll(name).join(",");
  return flat;
}

// Hop-by-hop headers describe this connection, not the request; the fetch Request the library builds rejects some.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);

export function toRpcHttpRequest(
  request: IncomingMessage,
  body: Buffer,
  url: URL,
  params: Readonly<Record<string, string>>,
): RpcHttp {
  const headers = flattenHeaders(request.headers);
  for (const name of HOP_BY_HOP) Reflect.deleteProperty(headers, name);
  return {
    method: request.method ?? "GET",
    url: url.href,
    headers,
    query: flattenQuery(url.searchParams),
    params,
    identities: [],
    ...(body.length > 0 ? { body: { bytes: new Uint8Array(body) } } : {}),
  };
}

/** Writes the function's RPC http response; no response object means 204, as the host answers. */
export function writeRpcHttpResponse(response: ServerResponse, http: RpcHttp | undefined, headOnly: boolean): void {
  if (http === undefined) {
    response.writeHead(204).end();
    return;
  }
  const status = Number(http.statusCode ?? "200");
  const headers: Record<string, string | string[]> = { ...(http.headers ?? {}) };
  const cookies = (http.cookies ?? []).map(formatCookie);
  if (cookies.length > 0) {
    const existing = headers["set-cookie"];
    headers["set-cookie"] = [...(existing === undefined ? [] : [existing].flat()), ...cookies];
  }
  const body = typedDataBytes(http.body);
  const noBody = headOnly || status === 204 || status === 304 || (status >= 100 && status < 200);
  if (!noBody) headers["content-length"] = String(body.length);
  response.writeHead(Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500, headers);
  response.end(noBody ? undefined : body);
}

const SAME_SITE: Readonly<Record<string, string>> = { lax: "Lax", strict: "Strict", explicitNone: "None" };

function formatCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ""}=${cookie.value ?? ""}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expiresSeconds = cookie.expires?.value?.seconds;
  if (typeof expiresSeconds === "number") parts.push(`Expires=${new Date(expiresSeconds * 1000).toUTCString()}`);
  if (typeof cookie.maxAge?.value === "number") parts.push(`Max-Age=${Math.trunc(cookie.maxAge.value)}`);
  if (cookie.secure?.value === true) parts.push("Secure");
  if (cookie.httpOnly?.value === true) parts.push("HttpOnly");
  const sameSite = SAME_SITE[cookie.sameSite ?? ""];
  if (sameSite !== undefined) parts.push(`SameSite=${sameSite}`);
  return parts.join("; ");
}
