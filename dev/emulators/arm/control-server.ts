// A small HTTPS server for the ARM emulator's control endpoints and VPN profile downloads. Both need no token:
// control calls come from test tools, and Azure hands out profile URLs as SAS links on another host (blob storage),
// which this server stands in for. The framework's server requires a bearer token on every non-framework route, so
// these routes live here; they use the framework's route definitions and response conventions.
import { randomUUID } from "node:crypto";
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorResponse } from "../framework";
import type { EmulatorCa, EmulatorRequest, EmulatorResponse, EmulatorRoute } from "../framework";

export interface ControlServer {
  /** https://127.0.0.1:port, no trailing slash. */
  readonly url: string;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startControlServer(ca: EmulatorCa, routes: readonly EmulatorRoute[]): Promise<ControlServer> {
  const compiled = routes.map((r) => ({ route: r, ...compile(r.path) }));
  let url = "";

  const dispatch = async (incoming: IncomingMessage, rawBody: Buffer): Promise<EmulatorResponse> => {
    const parsedUrl = new URL(incoming.url ?? "/", "https://control.invalid");
    const method = (incoming.method ?? "GET").toUpperCase();
    const path = decodeURIComponent(parsedUrl.pathname);
    for (const { route, pattern, names } of compiled) {
      const found = pattern.exec(path);
      if (found === null || route.method !== method) continue;
      let body: unknown;
      try {
        body = rawBody.length === 0 ? undefined : (JSON.parse(rawBody.toString("utf8")) as unknown);
      } catch {
        return errorResponse(400, "InvalidRequestContent", "The request body is not valid JSON.");
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => (params[name] = found[i + 1] ?? ""));
      const request: EmulatorRequest = {
        method,
        path,
        params,
        query: parsedUrl.searchParams,
        apiVersion: parsedUrl.searchParams.get("api-version") ?? undefined,
        headers: incoming.headers,
        body,
        rawBody,
        operation: route.operation,
        requestId: randomUUID(),
        baseUrl: url,
      };
      return route.handler(request);
    }
    return errorResponse(404, "NotFound", `No control route for ${method} ${path}.`);
  };

  const server = createServer({ ...ca.serverTlsOptions() }, (incoming, outgoing) => {
    readBody(incoming)
      .then(async (rawBody) =>
        rawBody === undefined
          ? errorResponse(413, "RequestEntityTooLarge", `The body exceeds ${MAX_BODY_BYTES} bytes.`)
          : dispatch(incoming, rawBody),
      )
      .catch((error: unknown) =>
        errorResponse(500, "InternalServerError", error instanceof Error ? error.message : String(error)),
      )
      .then((response) => {
        write(outgoing, response);
      })
      .catch(() => outgoing.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split("/")
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1] === undefined) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(param[1]);
      return "([^/]+)";
    })
    .join("/");
  return { pattern: new RegExp(`^${source}/?$`, "i"), names };
}

function readBody(incoming: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    incoming.on("end", () => {
      resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined);
    });
    incoming.on("error", reject);
  });
}

function write(outgoing: ServerResponse, response: EmulatorResponse): void {
  const headers: Record<string, string> = {};
  let payload: Buffer | undefined;
  if (response.body === undefined) payload = undefined;
  else if (typeof response.body === "string") {
    headers["content-type"] = "text/plain; charset=utf-8";
    payload = Buffer.from(response.body, "utf8");
  } else if (response.body instanceof Uint8Array) {
    headers["content-type"] = "application/octet-stream";
    payload = Buffer.from(response.body);
  } else {
    headers["content-type"] = "application/json; charset=utf-8";
    payload = Buffer.from(JSON.stringify(response.body), "utf8");
  }
  Object.assign(headers, response.headers);
  headers["content-length"] = String(payload?.length ?? 0);
  outgoing.writeHead(response.status, headers);
  outgoing.end(payload);
}
