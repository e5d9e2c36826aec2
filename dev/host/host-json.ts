// The host.json settings the dev host honours, read as the Functions host reads them: from the function app's root
// (the directory holding host.json), with app settings named AzureFunctionsJobHost__<path> taking precedence.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { property, queuesSettings } from "./host-json-queues";
import type { QueuesSettings } from "./host-json-queues";

export type { QueuesSettings } from "./host-json-queues";

export interface HostJsonSettings {
  /** extensions.http.routePrefix without surrounding slashes; "" serves HTTP triggers at the root. */
  readonly routePrefix: string;
  /** extensions.queues: how queue triggers poll, retry and poison. */
  readonly queues: QueuesSettings;
}

const DEFAULT_ROUTE_PREFIX = "api";
const ROUTE_PREFIX_OVERRIDE = "AzureFunctionsJobHost__extensions__http__routePrefix";

/** The nearest directory at or above `from` that holds host.json; undefined when there is none. */
export function findAppRoot(from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, "host.json"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Reads `appRoot`/host.json (defaults when there is none); a host.json that is not JSON fails as on the host. */
export function readHostJson(
  appRoot: string | undefined,
  appSettings: Readonly<Record<string, string | undefined>>,
): HostJsonSettings {
  const file = appRoot === undefined ? undefined : path.join(appRoot, "host.json");
  let parsed: unknown = {};
  if (file !== undefined && existsSync(file)) {
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new Error(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return hostJsonSettings(parsed, appSettings, file ?? "host.json");
}

export function hostJsonSettings(
  hostJson: unknown,
  appSettings: Readonly<Record<string, string | undefined>>,
  source = "host.json",
): HostJsonSettings {
  const fromFile = property(property(property(hostJson, "extensions"), "http"), "routePrefix");
  if (fromFile !== undefined && typeof fromFile !== "string") {
    throw new Error(`${source}: extensions.http.routePrefix must be a string`);
  }
  const prefix = appSettings[ROUTE_PREFIX_OVERRIDE] ?? fromFile ?? DEFAULT_ROUTE_PREFIX;
  const queues = queuesSettings(property(property(hostJson, "extensions"), "queues"), appSettings, source);
  return { routePrefix: prefix.replace(/^\/+|\/+$/g, ""), queues };
}
