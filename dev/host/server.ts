// The host's HTTP front door: "/{routePrefix}/{route}" for HTTP triggers (key auth per authLevel), POST
// /admin/functions/{name} (master key) for non-HTTP functions, the Event Grid webhook, and the public durable task
// webhook (its system key or the master key). The worker's own durable client does not come through here: as with the
// Durable extension, it calls an unauthenticated loopback listener (createDurableRpcListener).
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { DurableBackend, HostHttpResponse, RegisteredFunction } from "./contracts";
import { handleEventGrid, EVENT_GRID_PATH } from "./event-grid";
import { BodyTooLargeError, flattenHeaders, readBody, toRpcHttpRequest, writeRpcHttpResponse } from "./http-bridge";
import { firstLine } from "./invoker";
import type { HostLog, WorkerInvoker } from "./invoker";
import { authorizes, authorizesDurableTask, parseAuthLevel, presentedKey } from "./keys";
import type { AuthLevel, HostKeys } from "./keys";
import { comparePrecedence, parseRouteTemplate, splitPath } from "./routes";
import type { RouteTemplate } from "./routes";
import type { RpcHttp, RpcInvocationResponse, RpcTypedData } from "./rpc";

export const DURABLE_TASK_PATH = "/runtime/webhooks/durabletask";
/** The extension's local RPC path (its rpcBaseUrl is http://127.0.0.1:{port}/durabletask/). */
export const DURABLE_RPC_PATH = "/durabletask";
const ADMIN_FUNCTIONS_PATH = "/admin/functions/";

export interface HttpRoute {
  readonly registered: RegisteredFunction;
  readonly template: RouteTemplate;
  /** Upper-case methods; undefined = any method. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly authLevel: AuthLevel;
}

/** Thrown by the admin starter when a function cannot be run through the admin API. */
export class AdminInvocationError extends Error {
  override readonly name = "AdminInvocationError";
}

export interface ServerDependencies {
  readonly invoker: WorkerInvoker;
  readonly keys: HostKeys;
  readonly routes: readonly HttpRoute[];
  readonly routePrefix: string;
  readonly durable: () => DurableBackend | undefined;
  /** Starts a non-HTTP function from the admin API; throws AdminInvocationError synchronously when it cannot. */
  readonly startAdminInvocation: (registered: RegisteredFunction, input: string | undefined) => Promise<void>;
  readonly track: (work: Promise<void>) => void;
  readonly log: HostLog;
}

export function buildRoutes(functions: readonly RegisteredFunction[]): HttpRoute[] {
  return functions
    .filter((registered) => registered.trigger.type.toLowerCase() === "httptrigger")
    .map((registered) => {
      const route = registered.trigger.route;
      const methods = registered.trigger.methods;
      return {
        registered,
        template: parseRouteTemplate(typeof route === "string" && route !== "" ? route : registered.name),
        methods:
          Array.isArray(methods) && methods.length > 0
            ? new Set(methods.map((method) => String(method).toUpperCase()))
            : undefined,
        authLevel: parseAuthLevel(registered.trigger.authLevel, registered.name),
      };
    });
}

/** A host-made answer, or the function's RPC http response (undefined when it returned none). */
type Answer = HostHttpResponse | { readonly functionResponse: RpcHttp | undefined; readonly headOnly: boolean };

export function createRequestListener(deps: ServerDependencies): RequestListener {
  return (request, response) => {
    handle(deps, request)
      .then((answer) => {
        if ("status" in answer) writeHostResponse(response, answer);
        else writeRpcHttpResponse(response, answer.functionResponse, answer.headOnly);
      })
      .catch((error: unknown) => {
        deps.log(`Host error on ${request.method ?? "?"} ${pathOnly(request.url)}: ${firstLine(error)}`);
        if (!response.headersSent) response.writeHead(error instanceof BodyTooLargeError ? 413 : 500);
        response.end();
      });
  };
}

async function handle(deps: ServerDependencies, request: IncomingMessage): Promise<Answer> {
  const url = new URL(request.url ?? "/", `http://${request.headers.host ?? "127.0.0.1"}`);
  const method = (request.method ?? "GET").toUpperCase();
  const lowerPath = url.pathname.toLowerCase();

  if (lowerPath === DURABLE_TASK_PATH || lowerPath.startsWith(`${DURABLE_TASK_PATH}/`)) {
    const durable = deps.durable();
    if (durable === undefined) return { status: 404 };
    if (!authorizesDurableTask(deps.keys, presentedKey(request.headers, url.searchParams))) return { status: 401 };
    return forwardToDurable(durable, request, method, request.url ?? "/");
  }
  if (lowerPath === EVENT_GRID_PATH || lowerPath === `${EVENT_GRID_PATH}/`) {
    const body = await readBody(request);
    const answer = await handleEventGrid({ method, url, headers: request.headers, body }, deps.invoker, deps.keys);
    return answer;
  }
  if (lowerPath.startsWith(ADMIN_FUNCTIONS_PATH)) {
    return await handleAdmin(deps, request, url, method);
  }
  if (lowerPath === "/" && deps.routePrefix !== "") {
    return text(200, "Azure Functions dev host is up and running\n");
  }
  const prefix = deps.routePrefix === "" ? "/" : `/${deps.routePrefix.toLowerCase()}/`;
  if (!lowerPath.startsWith(prefix) && lowerPath !== prefix.replace(/\/$/, "")) {
    return { status: 404 };
  }
  return invokeHttpFunction(deps, request, url, method, url.pathname.slice(prefix.length - 1));
}

async function forwardToDurable(
  durable: DurableBackend,
  request: IncomingMessage,
  method: string,
  pathAndQuery: string,
): Promise<HostHttpResponse> {
  const body = await readBody(request);
  return durable.handleHttp({ method, url: pathAndQuery, headers: flattenHeaders(request.headers), body });
}

/**
 * The listener behind the durable client binding's rpcBaseUrl: the Durable HTTP API without a key, for the worker
 * only, as the extension's LocalHttpListener serves it on 127.0.0.1 (never exposed like the public webhook). Paths
 * under /durabletask are handed to the backend as the public webhook's, which is the path it routes.
 */
export function createDurableRpcListener(durable: () => DurableBackend | undefined, log: HostLog): RequestListener {
  const handleRpc = async (request: IncomingMessage): Promise<HostHttpResponse> => {
    const pathAndQuery = request.url ?? "/";
    const lowerPath = pathOnly(pathAndQuery).toLowerCase();
    const backend = durable();
    if (backend === undefined || (lowerPath !== DURABLE_RPC_PATH && !lowerPath.startsWith(`${DURABLE_RPC_PATH}/`))) {
      return { status: 404 };
    }
    const method = (request.method ?? "GET").toUpperCase();
    return forwardToDurable(
      backend,
      request,
      method,
      `${DURABLE_TASK_PATH}${pathAndQuery.slice(DURABLE_RPC_PATH.length)}`,
    );
  };
  return (request, response) => {
    handleRpc(request)
      .then((answer) => {
        writeHostResponse(response, answer);
      })
      .catch((error: unknown) => {
        log(`Durable RPC error on ${request.method ?? "?"} ${pathOnly(request.url)}: ${firstLine(error)}`);
        if (!response.headersSent) response.writeHead(error instanceof BodyTooLargeError ? 413 : 500);
        response.end();
      });
  };
}

async function invokeHttpFunction(
  deps: ServerDependencies,
  request: IncomingMessage,
  url: URL,
  method: string,
  routePath: string,
): Promise<Answer> {
  const segments = splitPath(routePath);
  if (segments === undefined) return { status: 400 };
  // A known route with a method it does not take is a 404 in the Functions host (Azure/azure-functions-host#10098).
  let best: { route: HttpRoute; params: Record<string, string> } | undefined;
  for (const route of deps.routes) {
    if (route.methods !== undefined && !route.methods.has(method)) continue;
    const params = route.template.match(segments);
    if (params === undefined) continue;
    if (best === undefined || comparePrecedence(route.template.precedence, best.route.template.precedence) < 0) {
      best = { route, params };
    }
  }
  if (best === undefined) return { status: 404 };
  const { route, params } = best;
  if (!authorizes(deps.keys, route.authLevel, presentedKey(request.headers, url.searchParams))) {
    return { status: 401 };
  }

  const body = await readBody(request);
  const rpcRequest = toRpcHttpRequest(request, body, url, params);
  const triggerMetadata: Record<string, RpcTypedData> = {
    Headers: { json: JSON.stringify(rpcRequest.headers ?? {}) },
    Query: { json: JSON.stringify(rpcRequest.query ?? {}) },
  };
  for (const [name, value] of Object.entries(params)) triggerMetadata[name] = { string: value };
  let result: RpcInvocationResponse;
  try {
    ({ response: result } = await deps.invoker.invokeRpc(
      route.registered.name,
      { http: rpcRequest },
      { triggerMetadata },
    ));
  } catch {
    // The invoker has logged the failure; the host answers an unhandled function error with a bare 500.
    return { status: 500 };
  }
  return { functionResponse: httpResponseOf(route.registered, result), headOnly: method === "HEAD" };
}

function httpResponseOf(registered: RegisteredFunction, result: RpcInvocationResponse): RpcHttp | undefined {
  const returned = result.returnValue?.http;
  if (returned !== undefined && returned !== null) return returned;
  for (const output of result.outputData ?? []) {
    const binding = registered.metadata.bindings[output.name];
    const http = output.data?.http;
    if (binding?.type.toLowerCase() === "http" && http !== undefined && http !== null) return http;
  }
  return undefined;
}

async function handleAdmin(
  deps: ServerDependencies,
  request: IncomingMessage,
  url: URL,
  method: string,
): Promise<HostHttpResponse> {
  const name = decodeURIComponent(url.pathname.slice(ADMIN_FUNCTIONS_PATH.length)).replace(/\/$/, "");
  if (method !== "POST" || name === "" || name.includes("/")) return { status: 404 };
  if (!authorizes(deps.keys, "admin", presentedKey(request.headers, url.searchParams))) return { status: 401 };
  const registered = deps.invoker.find(name);
  if (registered === undefined) return { status: 404 };
  const body = await readBody(request);
  let input: string | undefined;
  if (body.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return text(400, 'the body must be JSON: {"input": "..."}');
    }
    const value = typeof parsed === "object" && parsed !== null ? (parsed as { input?: unknown }).input : undefined;
    if (value !== undefined && value !== null && typeof value !== "string") {
      return text(400, '"input" must be a string');
    }
    input = value ?? undefined;
  }
  try {
    deps.track(deps.startAdminInvocation(registered, input));
  } catch (error) {
    if (error instanceof AdminInvocationError) return text(400, error.message);
    throw error;
  }
  return { status: 202 };
}

function writeHostResponse(response: ServerResponse, answer: HostHttpResponse): void {
  const body = answer.body === undefined ? undefined : Buffer.from(answer.body);
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  if (body !== undefined) headers["content-length"] = String(body.length);
  else if (answer.status !== 204 && answer.status !== 304) headers["content-length"] = "0";
  response.writeHead(answer.status, headers);
  response.end(body);
}

function text(status: number, body: string): HostHttpResponse {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

function pathOnly(url: string | undefined): string {
  return (url ?? "/").split("?", 1)[0] ?? "/";
}
