// Typed access to the few Microsoft Graph v1.0 calls the app makes, with the app's own credential: read a user
// (existence and accountEnabled) and check its transitive membership of a group (checkMemberGroups). Graph's
// throttling (429, and 503/504 when overloaded, with Retry-After) is waited out here within a bound; past it, or on
// any other failure, a GraphError is thrown for the caller's retry to handle.
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
} from "@azure/core-rest-pipeline";
import type { HttpClient, Pipeline, PipelineResponse } from "@azure/core-rest-pipeline";
import type { Config } from "../config";
import { tlsClientOptions } from "./azure-options";
import { getCredential } from "./credential";

export type GraphConfig = Pick<
  Config,
  | "GRAPH_ENDPOINT"
  | "GRAPH_AUDIENCE"
  | "GRAPH_THROTTLE_MAX_WAIT_MS"
  | "P2S_CREDENTIAL"
  | "AZURE_CLIENT_ID"
  | "P2S_TRUSTED_CA_FILE"
>;

/** The user properties the app reads (Graph returns accountEnabled only when $select names it). */
export interface GraphUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly accountEnabled: boolean;
}

export type GraphMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** A Graph answer as `call` returns it: the status, the parsed body, Graph's error code, Graph's clock. */
export interface GraphAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly code: string | undefined;
  /** The answer's Date header: subscription expiries are reckoned by Graph's clock, not this machine's. */
  readonly graphNow: Date | undefined;
}

export class GraphError extends Error {
  override readonly name = "GraphError";
  constructor(
    /** HTTP status; undefined when Graph gave no usable answer. */
    readonly status: number | undefined,
    /** Graph's error code (error.code), e.g. TooManyRequests, Authorization_RequestDenied. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface GraphClientOptions {
  /** How waits are made (default setTimeout); a seam for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The HTTP client (default core-rest-pipeline's); a seam for tests. */
  readonly httpClient?: HttpClient;
}

/** Statuses Graph sends when it throttles or is overloaded; it says when to come back in Retry-After. */
const THROTTLED = new Set([429, 503, 504]);
/** Waits when Graph sends no Retry-After: 1, 2, 4 ... s, at most 30 s. */
const FIRST_WAIT_MS = 1000;
const MAX_WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class GraphClient {
  readonly #pipeline: Pipeline;
  readonly #httpClient: HttpClient;
  readonly #base: string;
  readonly #maxThrottleWaitMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(config: GraphConfig, options: GraphClientOptions = {}) {
    // Throttling is handled below, with a bound; the pipeline's own retries would wait without one.
    this.#pipeline = createPipelineFromOptions({ ...tlsClientOptions(config), retryOptions: { maxRetries: 0 } });
    this.#pipeline.addPolicy(
      bearerTokenAuthenticationPolicy({ credential: getCredential(config), scopes: config.GRAPH_AUDIENCE }),
    );
    this.#httpClient = options.httpClient ?? createDefaultHttpClient();
    this.#base = `${config.GRAPH_ENDPOINT.replace(/\/+$/, "")}/v1.0`;
    this.#maxThrottleWaitMs = config.GRAPH_THROTTLE_MAX_WAIT_MS;
    this.#sleep = options.sleep ?? sleep;
  }

  /** The user by object id or userPrincipalName, or undefined when the directory has no such user. */
  async getUser(idOrUpn: string): Promise<GraphUser | undefined> {
    const path = `/users/${userSegment(idOrUpn)}?$select=id,userPrincipalName,accountEnabled`;
    const response = await this.#send("GET", path);
    if (response.status === 404 && graphCode(response) === "Request_ResourceNotFound") return undefined;
    const body = expectOk(response, `GET user ${idOrUpn}`);
    const user = body as Partial<Record<keyof GraphUser, unknown>>;
    if (typeof user.id !== "string" || typeof user.accountEnabled !== "boolean") {
      throw new GraphError(response.status, undefined, `Graph's user ${idOrUpn} lacks id or accountEnabled`);
    }
    return {
      id: user.id,
      userPrincipalName: typeof user.userPrincipalName === "string" ? user.userPrincipalName : idOrUpn,
      accountEnabled: user.accountEnabled,
    };
  }

  /** Which of `groupIds` (at most 20) the user is a member of, directly or through nested groups. */
  async checkMemberGroups(userId: string, groupIds: readonly string[]): Promise<string[]> {
    const response = await this.#send("POST", `/users/${userSegment(userId)}/checkMemberGroups`, {
      groupIds,
    });
    const body = expectOk(response, `checkMemberGroups of ${userId}`) as { value?: unknown };
    if (!Array.isArray(body.value)) throw new GraphError(response.status, undefined, "checkMemberGroups: no value");
    return body.value.filter((id): id is string => typeof id === "string");
  }

  /**
   * Any other call (subscriptions, delta queries): a path under /v1.0, or an absolute link Graph gave (nextLink,
   * deltaLink), which must be on GRAPH_ENDPOINT so the token never goes elsewhere. Throttling is waited out as above;
   * the answer is returned whatever its status, with Graph's clock (its Date header).
   */
  async call(method: GraphMethod, pathOrLink: string, body?: unknown): Promise<GraphAnswer> {
    let path = pathOrLink;
    if (/^https:\/\//i.test(pathOrLink)) {
      if (!pathOrLink.toLowerCase().startsWith(`${this.#base.toLowerCase()}/`)) {
        throw new GraphError(
          undefined,
          undefined,
          `Graph link ${pathOrLink.split("?")[0] ?? ""} is not under ${this.#base}`,
        );
      }
      path = pathOrLink.slice(this.#base.length);
    }
    const response = await this.#send(method, path, body);
    const date = Date.parse(response.headers.get("date") ?? "");
    return {
      status: response.status,
      body: parseJson(response),
      code: graphCode(response),
      graphNow: Number.isNaN(date) ? undefined : new Date(date),
    };
  }

  /** One call, throttling waited out: Retry-After when sent, else an exponential wait, all within the bound. */
  async #send(method: GraphMethod, path: string, body?: unknown): Promise<PipelineResponse> {
    let waitedMs = 0;
    for (let attempt = 1; ; attempt += 1) {
      const request = createPipelineRequest({
        url: `${this.#base}${path}`,
        method,
        headers: createHttpHeaders({
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const response = await this.#pipeline.sendRequest(this.#httpClient, request);
      if (!THROTTLED.has(response.status)) return response;
      const waitMs =
        retryAfterMs(response.headers.get("retry-after")) ?? Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (attempt - 1));
      if (waitedMs + waitMs > this.#maxThrottleWaitMs) {
        throw new GraphError(
          response.status,
          graphCode(response),
          `Graph ${method} ${path.split("?")[0] ?? path} still throttled (${response.status}) after ${attempt} attempts and ${waitedMs} ms of waiting`,
        );
      }
      await this.#sleep(waitMs);
      waitedMs += waitMs;
    }
  }
}

/** A user id or UPN as a path segment: escaped (a guest's #EXT# must be %23), with "@" kept as Graph's examples write it. */
function userSegment(idOrUpn: string): string {
  return encodeURIComponent(idOrUpn).replace(/%40/g, "@");
}

function parseJson(response: PipelineResponse): unknown {
  try {
    return JSON.parse(response.bodyAsText ?? "") as unknown;
  } catch {
    return undefined;
  }
}

function graphCode(response: PipelineResponse): string | undefined {
  const code = (parseJson(response) as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === "string" ? code : undefined;
}

function expectOk(response: PipelineResponse, what: string): object {
  const body = parseJson(response);
  if (response.status !== 200 || typeof body !== "object" || body === null) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === "string" ? error.code : undefined;
    const message = typeof error?.message === "string" ? error.message : (response.bodyAsText ?? "").slice(0, 200);
    throw new GraphError(response.status, code, `Graph ${what} answered ${response.status} ${code ?? ""}: ${message}`);
  }
  return body;
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds. */
function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
