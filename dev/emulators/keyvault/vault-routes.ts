// Route builders for the Key Vault routes: every route gets vaultHandler's checks, most charge the general budget
// first, and each version-addressed operation is served both at its latest-version and its versioned path.
import { route } from "../framework";
import type { EmulatorRequest, EmulatorResponse, EmulatorRoute, HttpMethod, PathParams } from "../framework";
import { charge, vaultHandler } from "./http-support";
import type { VaultContext, VaultHandler } from "./http-support";
import type { ThrottleCharge } from "./throttle-model";

/** The general request budget, which every operation but key creation and key transactions is charged to. */
export const OTHER_POOL: ThrottleCharge = { pool: "other" };

export interface VaultRouteDefinition<Path extends string> {
  readonly method: HttpMethod;
  readonly path: Path;
  readonly operation: string;
  /** Charged before the handler runs; omit it when the handler charges by what it finds (key size, key type). */
  readonly charge?: ThrottleCharge;
  readonly handler: VaultHandler<PathParams<Path>>;
}

/** A route whose handler runs under vaultHandler, charged `definition.charge` first when one is given. */
export function vaultRoute<const Path extends string>(
  context: VaultContext,
  definition: VaultRouteDefinition<Path>,
): EmulatorRoute {
  const { method, path, operation, charge: cost, handler } = definition;
  return route({
    method,
    path,
    operation,
    handler: vaultHandler(context, (request: EmulatorRequest<PathParams<Path>>) => {
      if (cost !== undefined) charge(context, cost);
      return handler(request, context);
    }),
  });
}

/** Handles one version of a named object; `version` is "" for the latest. */
export type VersionHandler = (
  request: EmulatorRequest<unknown>,
  context: VaultContext,
  name: string,
  version: string,
) => EmulatorResponse | Promise<EmulatorResponse>;

export interface VersionedRouteDefinition {
  readonly method: HttpMethod;
  /** The path that addresses the latest version: it declares {name}. */
  readonly latestPath: string;
  /** The path that addresses one version: it declares {name} and {version}. */
  readonly versionPath: string;
  readonly operation: string;
  readonly charge?: ThrottleCharge;
}

/** The latest-version route and the versioned route of one operation, both served by `handler`. */
export function versionedRoutes(
  context: VaultContext,
  definition: VersionedRouteDefinition,
  handler: VersionHandler,
): EmulatorRoute[] {
  const { method, latestPath, versionPath, operation, charge: cost } = definition;
  return [
    vaultRoute(context, {
      method,
      path: latestPath,
      operation,
      charge: cost,
      handler: (request) => handler(request, context, pathParam(request, "name"), ""),
    }),
    vaultRoute(context, {
      method,
      path: versionPath,
      operation,
      charge: cost,
      handler: (request) => handler(request, context, pathParam(request, "name"), pathParam(request, "version")),
    }),
  ];
}

/** A parameter the route's path declares: the matcher always fills those, so a missing one is a route bug. */
function pathParam(request: EmulatorRequest, name: string): string {
  const value = request.params[name];
  if (value === undefined) throw new Error(`Route ${request.path} has no {${name}} parameter`);
  return value;
}
