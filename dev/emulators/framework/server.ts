// startEmulator: an HTTPS server on loopback that runs each request through authentication, injected faults,
// throttles and finally the route's handler, answering in Azure's shapes and recording statistics per operation.
import { randomInt, randomUUID } from "node:crypto";
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hasBearerToken, unauthenticatedResponse } from "./auth";
import type { EmulatorAuth } from "./auth";
import type { EmulatorCa } from "./ca";
import { systemClock } from "./clock";
import type { EmulatorClock } from "./clock";
import { CONTROL_PREFIX, controlRoutes } from "./control";
import { FaultRegistry } from "./faults";
import type { EmulatorFaults } from "./faults";
import { EmulatorError, errorResponse } from "./responses";
import type { EmulatorResponse } from "./responses";
import { Router } from "./routes";
import type { EmulatorRequest, EmulatorRoute } from "./routes";
import { StatsRecorder } from "./stats";
import type { EmulatorStats, RequestOutcome } from "./stats";
import { ThrottleRegistry } from "./throttle";
import type { EmulatorThrottles, ThrottleRule } from "./throttle";

export interface EmulatorOptions {
  /** Shown in logs and errors, e.g. "keyvault". */
  readonly name: string;
  readonly ca: EmulatorCa;
  readonly auth: EmulatorAuth;
  readonly routes: readonly EmulatorRoute[];
  /** Listen address; default "127.0.0.1". */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  readonly throttles?: readonly ThrottleRule[];
  /** Answer 400 MissingApiVersionParameter when a request has no api-version, as Azure does. Default true. */
  readonly requireApiVersion?: boolean;
  /** Default the system clock; a virtual clock makes throttle windows and injected latency instant in tests. */
  readonly clock?: EmulatorClock;
  /** Seed of the fault probabilities; default random. */
  readonly randomSeed?: number;
  /** Receives one line per request (method, path, operation, status); default silent. */
  readonly log?: (line: string) => void;
  /** Default 4 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * The emulator's own control routes, served beside /_emulator/faults and /_emulator/stats and like them: no token
   * or api-version needed, never faulted, throttled or counted. A control route wins over a service route on the
   * same path, so keep them under /_emulator/<name>/, or on paths Azure serves from another, tokenless host.
   */
  readonly controlRoutes?: readonly EmulatorRoute[];
  /**
   * Reshapes every answer to a service request (not to control routes) before it is written, whoever made it: the
   * handler, a fault, a throttle or the pipeline. Graph uses it to add its innerError and request-id to each error.
   */
  readonly finishResponse?: (response: EmulatorResponse, context: ResponseContext) => EmulatorResponse;
}

/** What finishResponse knows of the request it answers. */
export interface ResponseContext {
  /** The x-ms-request-id the answer carries. */
  readonly requestId: string;
  /** Lower-cased request headers. */
  readonly headers: IncomingMessage["headers"];
  /** The emulator's clock when the answer is made, in epoch milliseconds. */
  readonly now: number;
}

export interface Emulator {
  readonly name: string;
  /** https://127.0.0.1:port, no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly faults: EmulatorFaults;
  readonly stats: EmulatorStats;
  readonly throttles: EmulatorThrottles;
  stop(): Promise<void>;
}

/** Statistics status of an injected connection reset (byStatus["reset"]). */
const RESET_STATUS = "reset";
/** Stands in for the answer a reset never sends. */
const emptyReset: EmulatorResponse = { status: 499 };

/** Statistics key of requests that matched no route. */
export const UNMATCHED_OPERATION = "(unmatched)";

interface Outcome {
  readonly response: EmulatorResponse;
  readonly operation: string;
  readonly kind: RequestOutcome | "control";
  /** An injected connection reset: the socket is destroyed instead of answering `response`. */
  readonly reset?: boolean;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const clock = options.clock ?? systemClock;
  const faults = new FaultRegistry(options.randomSeed ?? randomInt(2 ** 31));
  const stats = new StatsRecorder();
  const throttles = new ThrottleRegistry(clock, options.throttles ?? []);
  const router = new Router(options.routes);
  const control = new Router([...controlRoutes(faults, stats), ...(options.controlRoutes ?? [])]);
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const requireApiVersion = options.requireApiVersion ?? true;
  let baseUrl = "";

  async function processRequest(
    incoming: IncomingMessage,
    rawBody: Buffer | undefined,
    requestId: string,
  ): Promise<Outcome> {
    const url = new URL(incoming.url ?? "/", "https://emulator.invalid");
    const method = incoming.method ?? "GET";
    const path = safeDecode(url.pathname);
    const controlMatch = control.match(method, path);
    const isControl = path.toLowerCase().startsWith(CONTROL_PREFIX) || controlMatch.kind !== "notFound";
    const match = isControl ? controlMatch : router.match(method, path);
    const operation = match.kind === "found" ? match.route.operation : UNMATCHED_OPERATION;
    const finish = (kind: Outcome["kind"], response: EmulatorResponse, reset = false): Outcome => ({
      response,
      operation,
      kind: isControl ? "control" : kind,
      ...(reset ? { reset } : {}),
    });

    if (!isControl && options.auth.mode !== "anonymous" && !hasBearerToken(incoming.headers))
      return finish("unauthenticated", unauthenticatedResponse(options.auth));
    if (rawBody === undefined) {
      return finish("rejected", errorResponse(413, "RequestEntityTooLarge", `The body exceeds ${maxBodyBytes} bytes.`));
    }
    if (match.kind === "notFound") {
      return finish("rejected", errorResponse(404, "NotFound", `${options.name} has no route for ${method} ${path}.`));
    }
    if (match.kind === "methodNotAllowed") {
      return finish("rejected", errorResponse(405, "MethodNotAllowed", `${method} is not allowed on ${path}.`));
    }
    const apiVersion = url.searchParams.get("api-version") ?? undefined;
    if (!isControl && requireApiVersion && apiVersion === undefined) {
      return finish(
        "rejected",
        errorResponse(
          400,
          "MissingApiVersionParameter",
          "The api-version query parameter (?api-version=) is required.",
        ),
      );
    }
    const body = parseBody(incoming, rawBody);
    if (body instanceof Error) return finish("rejected", errorResponse(400, "InvalidRequestContent", body.message));

    let resetAfter = false;
    if (!isControl) {
      const decision = faults.decide(operation);
      if (decision.latencyMs > 0) await clock.sleep(decision.latencyMs);
      if (decision.reset === "before") return finish("faulted", emptyReset, true);
      resetAfter = decision.reset === "after";
      if (decision.error !== undefined) {
        const { status, code, message, retryAfterSeconds } = decision.error;
        const headers = retryAfterSeconds === undefined ? undefined : { "Retry-After": String(retryAfterSeconds) };
        return finish("faulted", errorResponse(status, code, message, headers === undefined ? {} : { headers }));
      }
      const rejection = throttles.admit(operation);
      if (rejection !== undefined) {
        const message = `Too many requests: ${rejection.rule.name} allows ${rejection.rule.limit} per ${rejection.rule.windowMs} ms.`;
        return finish(
          "throttled",
          errorResponse(
            429,
            rejection.rule.code ?? "Throttled",
            message,
            rejection.rule.retryAfter === false
              ? {}
              : { headers: { "Retry-After": String(rejection.retryAfterSeconds) } },
          ),
        );
      }
    }

    const request: EmulatorRequest = {
      method,
      path,
      params: match.params,
      query: url.searchParams,
      apiVersion,
      headers: incoming.headers,
      body,
      rawBody,
      operation,
      requestId,
      baseUrl,
    };
    try {
      return finish("handled", await match.route.handler(request), resetAfter);
    } catch (error) {
      if (error instanceof EmulatorError) return finish("handled", error.toResponse(), resetAfter);
      const message = error instanceof Error ? error.message : String(error);
      return finish(
        "handled",
        errorResponse(500, "InternalServerError", `${options.name} failed: ${message}`),
        resetAfter,
      );
    }
  }

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const startedAt = clock.now();
    const requestId = randomUUID();
    const rawBody = await readBody(incoming, maxBodyBytes);
    const outcome = await processRequest(incoming, rawBody, requestId);
    if (outcome.reset === true) {
      // An injected connection reset: no status line, the client sees ECONNRESET (or a socket hang up).
      incoming.socket.destroy();
      stats.record(
        outcome.operation,
        RESET_STATUS,
        outcome.kind === "handled" ? "handled" : "faulted",
        clock.now() - startedAt,
      );
      options.log?.(`${options.name} ${incoming.method ?? "?"} ${incoming.url ?? "?"} ${outcome.operation} -> reset`);
      return;
    }
    const response =
      outcome.kind === "control" || options.finishResponse === undefined
        ? outcome.response
        : options.finishResponse(outcome.response, { requestId, headers: incoming.headers, now: clock.now() });
    writeResponse(incoming, outgoing, response, requestId);
    if (outcome.kind !== "control") {
      stats.record(outcome.operation, response.status, outcome.kind, clock.now() - startedAt);
    }
    options.log?.(
      `${options.name} ${incoming.method ?? "?"} ${incoming.url ?? "?"} ${outcome.operation} -> ${response.status}`,
    );
  }

  const server = createServer({ ...options.ca.serverTlsOptions() }, (incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      // Only reached when the socket broke mid-answer: nothing left to tell the client.
      options.log?.(`${options.name} request failed: ${error instanceof Error ? error.message : String(error)}`);
      outgoing.destroy();
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    name: options.name,
    url: baseUrl,
    port,
    faults,
    stats,
    throttles,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        // SDK agents keep connections alive; close them so stop() returns promptly.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/** The body, or undefined when it exceeds the limit (still drained so the connection stays usable). */
function readBody(incoming: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    incoming.on("end", () => {
      resolve(size <= maxBytes ? Buffer.concat(chunks) : undefined);
    });
    incoming.on("error", reject);
  });
}

function parseBody(incoming: IncomingMessage, rawBody: Buffer): unknown {
  if (rawBody.length === 0) return undefined;
  const contentType = incoming.headers["content-type"] ?? "";
  if (contentType !== "" && !contentType.toLowerCase().includes("json")) return undefined;
  try {
    return JSON.parse(rawBody.toString("utf8")) as unknown;
  } catch {
    return new Error("The request body is not valid JSON.");
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

function writeResponse(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  response: EmulatorResponse,
  requestId: string,
): void {
  const headers: Record<string, string> = { "x-ms-request-id": requestId };
  const clientRequestId = incoming.headers["x-ms-client-request-id"];
  if (typeof clientRequestId === "string") headers["x-ms-client-request-id"] = clientRequestId;
  let payload: Buffer | undefined;
  if (response.body === undefined) {
    payload = undefined;
  } else if (typeof response.body === "string") {
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
  outgoing.end(incoming.method === "HEAD" ? undefined : payload);
}
