// The Durable Functions HTTP API under /runtime/webhooks/durabletask/, as durable-functions' DurableClient calls it
// through `rpcBaseUrl`: status codes and bodies follow the extension's HttpApiHandler (Azure/azure-functions-durable-
// extension src/WebJobs.Extensions.DurableTask/HttpApiHandler.cs): 202 start with links, 200/202 status, 404 unknown,
// 500 for a start over an instance that is not finished (OrchestrationAlreadyExistsException reaches the handler's
// catch-all), 410 finished, 200 purge by id whatever the status, 501 rewind.
import { randomUUID } from "node:crypto";
import type { FunctionInvoker, HostHttpRequest, HostHttpResponse } from "../host/contracts";
import { DURABLE_API_PREFIX, managementLinks } from "./client-binding";
import type { EntityEngine } from "./entities";
import { RUNTIME_STATUSES, isTerminal } from "./instance";
import type { RuntimeStatus } from "./instance";
import { toJsonText } from "./json";
import { findOrchestrator } from "./orchestration-engine";
import type { InstanceFilter, ManagementResult, OrchestrationEngine } from "./orchestration-engine";
import { statusPayload, wireTime } from "./status-view";

export interface DurableHttpApiDeps {
  readonly orchestrations: OrchestrationEngine;
  readonly entities: EntityEngine;
  readonly invoker: FunctionInvoker;
  readonly taskHubName: string;
  readonly baseUrl: () => string;
  /** The system key the public links carry as `code` (the host checks it before a request gets here). */
  readonly webhookKey?: string;
}

const CONTINUATION_HEADER = "x-ms-continuation-token";
const JSON_TYPE = "application/json; charset=utf-8";
const INTERNAL_ERROR = "Something went wrong while processing your request";

class BadRequest extends Error {}

function json(status: number, body: unknown, headers: Record<string, string> = {}): HostHttpResponse {
  return { status, headers: { "content-type": JSON_TYPE, ...headers }, body: toJsonText(body) };
}

function empty(status: number): HostHttpResponse {
  return { status };
}

function problem(status: number, message: string): HostHttpResponse {
  return json(status, { Message: message });
}

function header(request: HostHttpRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function isJsonContent(request: HostHttpRequest): boolean {
  const type = header(request, "content-type");
  return type === undefined || type.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/** The body as JSON text, undefined when empty; BadRequest when it is not JSON. */
function jsonBody(request: HostHttpRequest): string | undefined {
  const text = request.body.toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    JSON.parse(text);
  } catch {
    throw new BadRequest("Invalid JSON content");
  }
  return text;
}

function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name)?.toLowerCase();
  return value === "true" ? true : value === "false" ? false : fallback;
}

function time(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function statuses(query: URLSearchParams): ReadonlySet<RuntimeStatus> | undefined {
  const wanted = new Set(
    query
      .getAll("runtimeStatus")
      .flatMap((value) => value.split(","))
      .map((value) => value.trim().toLowerCase()),
  );
  const found = RUNTIME_STATUSES.filter((status) => wanted.has(status.toLowerCase()));
  return found.length === 0 ? undefined : new Set(found);
}

function filterFrom(query: URLSearchParams): InstanceFilter {
  const from = time(query, "createdTimeFrom");
  const to = time(query, "createdTimeTo");
  const runtimeStatus = statuses(query);
  const prefix = query.get("instanceIdPrefix");
  return {
    ...(from === undefined ? {} : { createdFromMs: from }),
    ...(to === undefined ? {} : { createdToMs: to }),
    ...(runtimeStatus === undefined ? {} : { statuses: runtimeStatus }),
    ...(prefix === null ? {} : { instanceIdPrefix: prefix }),
  };
}

/** The extension's instance id rules: no / \ # ? or control characters, not an entity id, at most 256 characters. */
function instanceIdProblem(instanceId: string): string | undefined {
  if (instanceId.length === 0 || instanceId.length > 256) return "Instance ID must be 1 to 256 characters long.";
  if (/[/\\#?\p{Cc}]/u.test(instanceId)) return `Instance ID '${instanceId}' contains invalid characters.`;
  if (instanceId.startsWith("@")) return `Instance ID '${instanceId}' starts with '@', which is reserved for entities.`;
  return undefined;
}

function managementResponse(result: ManagementResult, instanceId: string): HostHttpResponse {
  if (result === "notFound") return problem(404, `No instance with ID '${instanceId}' found.`);
  return empty(result === "gone" ? 410 : 202);
}

export class DurableHttpApi {
  readonly #deps: DurableHttpApiDeps;

  constructor(deps: DurableHttpApiDeps) {
    this.#deps = deps;
  }

  handle(request: HostHttpRequest): HostHttpResponse {
    const url = new URL(request.url, "http://durable.local");
    // Paths are case-insensitive on the Functions host (the docs even spell it durableTask).
    const lowerPath = url.pathname.toLowerCase();
    if (lowerPath !== DURABLE_API_PREFIX && !lowerPath.startsWith(`${DURABLE_API_PREFIX}/`)) return empty(404);
    try {
      const segments = url.pathname
        .slice(DURABLE_API_PREFIX.length)
        .split("/")
        .filter((segment) => segment !== "")
        .map((segment) => decodeURIComponent(segment));
      return this.#route(request, request.method.toUpperCase(), segments, url.searchParams);
    } catch (error) {
      if (error instanceof BadRequest || error instanceof URIError) return problem(400, error.message);
      throw error;
    }
  }

  #route(request: HostHttpRequest, method: string, segments: string[], query: URLSearchParams): HostHttpResponse {
    const [area, first, second, third] = segments;
    if (area === "orchestrators" && first !== undefined && third === undefined && method === "POST") {
      return this.#start(request, first, second);
    }
    if (area === "instances") {
      if (first === undefined) {
        if (method === "GET") return this.#list(request, query);
        if (method === "DELETE") return this.#purgeMany(query);
        return empty(404);
      }
      if (second === undefined) {
        if (method === "GET") return this.#status(request, first, query);
        if (method === "DELETE") return this.#purge(first);
        return empty(404);
      }
      if (method !== "POST") return empty(404);
      if (second === "raiseEvent" && third !== undefined && segments.length === 4) {
        return this.#raiseEvent(request, first, third);
      }
      if (third === undefined) return this.#operation(first, second, query);
      return empty(404);
    }
    if (area === "entities") {
      if (first !== undefined && second !== undefined && third === undefined) {
        if (method === "GET") return this.#readEntity(first, second);
        if (method === "POST") return this.#signalEntity(request, first, second, query.get("op") ?? "");
        if (method === "DELETE") return this.#signalEntity(request, first, second, "delete");
      }
      if (second === undefined && method === "GET") return this.#listEntities(first, query);
      return empty(404);
    }
    return empty(404);
  }

  #start(request: HostHttpRequest, functionName: string, requestedId: string | undefined): HostHttpResponse {
    const fn = findOrchestrator(this.#deps.invoker, functionName);
    if (typeof fn !== "string") return problem(400, fn.problem);
    const instanceId = requestedId ?? randomUUID().replace(/-/g, "");
    const invalid = instanceIdProblem(instanceId);
    if (invalid !== undefined) return problem(400, invalid);
    const text = jsonBody(request);
    const input = text === undefined ? null : (JSON.parse(text) as unknown);
    return this.#startInstance(fn, instanceId, input);
  }

  /**
   * host.json's overridableExistingInstanceStates NonRunningStates (the app's) lets a start replace a finished
   * instance only; over a Pending, Running, ContinuedAsNew or Suspended one DurableTask.AzureStorage throws
   * OrchestrationAlreadyExistsException, which HttpApiHandler answers with its generic 500.
   */
  #startInstance(name: string, instanceId: string, input: unknown): HostHttpResponse {
    const started = this.#deps.orchestrations.start({ name, instanceId, input });
    if (started.kind === "conflict") return problem(500, INTERNAL_ERROR);
    const links = managementLinks(this.#deps.baseUrl(), this.#deps.taskHubName, instanceId, this.#deps.webhookKey);
    return json(202, links, { location: links.statusQueryGetUri ?? "", "retry-after": "10" });
  }

  /**
   * restartPostUri: the extension's RestartAsync starts the instance's orchestrator again with its input, under a new
   * id unless `restartWithNewInstanceId=false` (the default is a new id); an unknown id is a 400.
   */
  #restart(instanceId: string, query: URLSearchParams): HostHttpResponse {
    const instance = this.#deps.orchestrations.get(instanceId);
    if (instance === undefined) return problem(400, "InstanceId does not match a valid orchestration instance.");
    const sameId = query.get("restartWithNewInstanceId")?.toLowerCase() === "false";
    const newId = sameId ? instanceId : randomUUID().replace(/-/g, "");
    return this.#startInstance(instance.name, newId, instance.execution.input ?? null);
  }

  #status(request: HostHttpRequest, instanceId: string, query: URLSearchParams): HostHttpResponse {
    const instance = this.#deps.orchestrations.get(instanceId);
    if (instance === undefined) return empty(404);
    const body = statusPayload(instance, {
      showInput: flag(query, "showInput", true),
      showHistory: flag(query, "showHistory", false),
      showHistoryOutput: flag(query, "showHistoryOutput", false),
    });
    if (!isTerminal(instance.status)) {
      const location = `${this.#deps.baseUrl().replace(/\/+$/, "")}${request.url}`;
      return json(202, body, { location, "retry-after": "5" });
    }
    const failed = instance.status === "Failed" && flag(query, "returnInternalServerErrorOnFailure", false);
    return json(failed ? 500 : 200, body);
  }

  #list(request: HostHttpRequest, query: URLSearchParams): HostHttpResponse {
    const matches = this.#deps.orchestrations.query(filterFrom(query));
    const showInput = flag(query, "showInput", true);
    const token = header(request, CONTINUATION_HEADER);
    const offset = token === undefined ? 0 : Number(Buffer.from(token, "base64url").toString("utf8"));
    if (!Number.isInteger(offset) || offset < 0) return problem(400, "Invalid continuation token.");
    const top = Number(query.get("top") ?? "");
    const pageSize = Number.isInteger(top) && top > 0 ? top : matches.length;
    const page = matches.slice(offset, offset + pageSize);
    const next = offset + page.length;
    const headers: Record<string, string> =
      next < matches.length ? { [CONTINUATION_HEADER]: Buffer.from(String(next)).toString("base64url") } : {};
    const body = page.map((instance) =>
      statusPayload(instance, { showInput, showHistory: false, showHistoryOutput: false }),
    );
    return json(200, body, headers);
  }

  #purge(instanceId: string): HostHttpResponse {
    if (this.#deps.orchestrations.purge(instanceId) === "notFound") return empty(404);
    return json(200, { instancesDeleted: 1 });
  }

  #purgeMany(query: URLSearchParams): HostHttpResponse {
    if (time(query, "createdTimeFrom") === undefined) {
      return problem(400, "Please provide value for 'createdTimeFrom' parameter.");
    }
    const deleted = this.#deps.orchestrations.purgeWhere(filterFrom(query));
    return deleted === 0 ? empty(404) : json(200, { instancesDeleted: deleted });
  }

  #raiseEvent(request: HostHttpRequest, instanceId: string, eventName: string): HostHttpResponse {
    const text = request.body.length === 0 ? undefined : request.body.toString("utf8");
    if (text !== undefined && !isJsonContent(request)) {
      return problem(400, "Only application/json request content is supported");
    }
    const instance = this.#deps.orchestrations.get(instanceId);
    if (instance === undefined) return empty(404);
    if (isTerminal(instance.status)) return empty(410);
    return managementResponse(
      this.#deps.orchestrations.raiseEvent(instanceId, eventName, jsonBody(request)),
      instanceId,
    );
  }

  #operation(instanceId: string, operation: string, query: URLSearchParams): HostHttpResponse {
    const reason = query.get("reason") ?? "";
    const engine = this.#deps.orchestrations;
    switch (operation.toLowerCase()) {
      case "terminate":
        return managementResponse(engine.terminate(instanceId, reason), instanceId);
      case "suspend":
        return managementResponse(engine.suspend(instanceId, reason), instanceId);
      case "resume":
        return managementResponse(engine.resume(instanceId, reason), instanceId);
      case "restart":
        return this.#restart(instanceId, query);
      case "rewind": {
        const instance = engine.get(instanceId);
        if (instance === undefined) return problem(404, `No orchestration with instance ID "${instanceId}" found.`);
        if (instance.status !== "Failed") {
          return problem(
            412,
            `This orchestration has status ${instance.status}, but only orchestrations in the "Failed" state can be rewound.`,
          );
        }
        return problem(501, "Rewind is not supported by the local durable backend.");
      }
      default:
        return empty(404);
    }
  }

  #signalEntity(request: HostHttpRequest, name: string, key: string, operation: string): HostHttpResponse {
    if (!this.#deps.entities.hasEntityFunction(name)) {
      return problem(404, `The entity function '${name}' doesn't exist, is disabled, or is not an entity function.`);
    }
    let input: string | undefined;
    if (request.body.length > 0) {
      // Non-JSON content is passed on as a string, as the extension does.
      input = isJsonContent(request) ? jsonBody(request) : toJsonText(request.body.toString("utf8"));
    }
    this.#deps.entities.signal(name, key, operation, input);
    return empty(202);
  }

  #readEntity(name: string, key: string): HostHttpResponse {
    const entity = this.#deps.entities.read(name, key);
    if (!entity.exists) return empty(404);
    return { status: 200, headers: { "content-type": JSON_TYPE }, body: entity.state ?? "null" };
  }

  #listEntities(name: string | undefined, query: URLSearchParams): HostHttpResponse {
    const fetchState = flag(query, "fetchState", false);
    const body = this.#deps.entities.list(name).map((entity) => ({
      entityId: { key: entity.key, name: entity.name },
      ...(entity.lastOperationAtMs === undefined ? {} : { lastOperationTime: wireTime(entity.lastOperationAtMs) }),
      ...(fetchState ? { state: entity.state } : {}),
    }));
    return json(200, body);
  }
}
