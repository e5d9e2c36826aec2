// Route definitions and matching. Paths compare case-insensitively, as Azure's do; parameter values keep their case.
// The first matching route in declaration order wins.
import type { IncomingHttpHeaders } from "node:http";
import type { EmulatorResponse } from "./responses";

export type HttpMethod = "GET" | "PUT" | "POST" | "PATCH" | "DELETE" | "HEAD";

type ParamNames<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamNames<Rest>
  : never;

/** The parameters a path template declares: "/certificates/{name}/{version}" gives { name, version }. */
export type PathParams<Path extends string> = { readonly [K in ParamNames<Path>]: string };

export interface EmulatorRequest<Params = Readonly<Record<string, string>>> {
  readonly method: string;
  /** Decoded path as received. */
  readonly path: string;
  readonly params: Params;
  readonly query: URLSearchParams;
  /** The api-version query parameter, if any. */
  readonly apiVersion: string | undefined;
  /** Lower-cased header names, as node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when the request had none. */
  readonly body: unknown;
  readonly rawBody: Buffer;
  readonly operation: string;
  /** The x-ms-request-id the response will carry. */
  readonly requestId: string;
  /** https://127.0.0.1:port of this emulator, for building ids and Location headers. */
  readonly baseUrl: string;
}

export type RouteHandler<Params> = (request: EmulatorRequest<Params>) => EmulatorResponse | Promise<EmulatorResponse>;

export interface RouteDefinition<Path extends string> {
  readonly method: HttpMethod;
  readonly path: Path;
  /** Names the operation for faults, throttles and statistics, e.g. "certificates.create". */
  readonly operation: string;
  readonly handler: RouteHandler<PathParams<Path>>;
}

/** A route with its parameter types erased, as startEmulator takes them. Build with route(). */
export interface EmulatorRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly operation: string;
  readonly handler: RouteHandler<Readonly<Record<string, string>>>;
}

/** Defines a route whose handler sees typed path parameters. */
export function route<const Path extends string>(definition: RouteDefinition<Path>): EmulatorRoute {
  // Safe: the matcher fills every parameter the template declares before calling the handler.
  return definition as unknown as EmulatorRoute;
}

export type RouteMatch =
  | { readonly kind: "found"; readonly route: EmulatorRoute; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: "notFound" }
  | { readonly kind: "methodNotAllowed"; readonly operation: string };

interface CompiledRoute {
  readonly route: EmulatorRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

export class Router {
  readonly #routes: readonly CompiledRoute[];

  constructor(routes: readonly EmulatorRoute[]) {
    this.#routes = routes.map(compile);
  }

  match(method: string, path: string): RouteMatch {
    let pathOnly: EmulatorRoute | undefined;
    for (const compiled of this.#routes) {
      const found = compiled.pattern.exec(path);
      if (found === null) continue;
      if (compiled.route.method !== method.toUpperCase()) {
        pathOnly ??= compiled.route;
        continue;
      }
      const params: Record<string, string> = {};
      compiled.names.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1] ?? "");
      });
      return { kind: "found", route: compiled.route, params };
    }
    return pathOnly === undefined ? { kind: "notFound" } : { kind: "methodNotAllowed", operation: pathOnly.operation };
  }
}

function compile(route: EmulatorRoute): CompiledRoute {
  if (!route.path.startsWith("/")) throw new Error(`Route path must start with "/": ${route.path}`);
  const names: string[] = [];
  const source = route.path
    .replace(/\/+$/, "")
    .split("/")
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1] !== undefined) {
        names.push(param[1]);
        return "([^/]+)";
      }
      if (segment.includes("{")) throw new Error(`A parameter must fill a whole path segment: ${route.path}`);
      return escapeRegExp(segment);
    })
    .join("/");
  // A trailing slash is tolerated, as Azure front ends do.
  return { route, names, pattern: new RegExp(`^${source}/?$`, "i") };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
