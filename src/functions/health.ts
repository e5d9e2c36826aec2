// GET /api/v1/health (anonymous): only { status }, 200 or 503, for load balancers and probes; the probe results are
// reused for HEALTH_CACHE_MS so anonymous traffic cannot drive calls to Key Vault, ARM and storage.
// GET /api/v1/health/details (function key): the full report (checks, hosts, error text), probed afresh.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { ConfigError, getConfig } from "../config";
import type { Config } from "../config";
import { probeGateways } from "../clients/gateway";
import { probeKeyVault } from "../clients/keyvault";
import { probeStorage } from "../clients/storage";
import { runHealthChecks } from "../domain/health";
import type { HealthCheck, HealthReport } from "../domain/health";
import { HealthCache } from "../domain/health-cache";
import { APP_VERSION } from "../version";
import { authorize } from "./auth/authorize";

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_CACHE_MS = 5000;

/** The probes that need a valid configuration; later capabilities add theirs here. */
export function dependencyChecks(config: Config): HealthCheck[] {
  return [
    { name: "storage", probe: (signal) => probeStorage(config, signal) },
    { name: "keyVault", probe: (signal) => probeKeyVault(config, signal) },
    { name: "gateways", probe: () => probeGateways(config) },
  ];
}

const cache = new HealthCache<HealthReport>();

/** The configuration, or why it is invalid; either keys the cache (a changed configuration is probed afresh). */
function currentConfig(): { config?: Config; problem?: string } {
  try {
    return { config: getConfig() };
  } catch (error) {
    return { problem: error instanceof ConfigError ? error.message : String(error) };
  }
}

function probeAll(config: Config | undefined, configProblem: string | undefined): Promise<HealthReport> {
  const checks: HealthCheck[] = [
    {
      name: "configuration",
      probe: () => (configProblem === undefined ? Promise.resolve("valid") : Promise.reject(new Error(configProblem))),
    },
    ...(config === undefined ? [] : dependencyChecks(config)),
  ];
  return runHealthChecks(checks, APP_VERSION, config?.HEALTH_CHECK_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS);
}

function answer(report: HealthReport, body: unknown): HttpResponseInit {
  return { status: report.status === "healthy" ? 200 : 503, jsonBody: body, headers: { "cache-control": "no-store" } };
}

export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { config, problem } = currentConfig();
  const ttl = config?.HEALTH_CACHE_MS ?? DEFAULT_CACHE_MS;
  const report = await cache.get(config ?? problem, ttl, () => probeAll(config, problem));
  if (report.status !== "healthy") context.warn(`health: failing ${report.failing.join(", ")}`);
  // Anonymous callers learn only whether the app is healthy: the checks name hosts and carry error text.
  return answer(report, { status: report.status });
}

export async function healthDetails(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { config, problem } = currentConfig();
  // Operators' view (Gateways.Read). With an invalid configuration no token can be checked (its settings may be what
  // is wrong): the function key alone then shows why.
  if (config !== undefined) {
    const caller = await authorize(request, { role: "Gateways.Read" });
    if (!caller.ok) return caller.response;
  }
  const report = await cache.refresh(config ?? problem, () => probeAll(config, problem));
  if (report.status !== "healthy") context.warn(`health: failing ${report.failing.join(", ")}`);
  return answer(report, report);
}

app.http("health", { route: "v1/health", methods: ["GET"], authLevel: "anonymous", handler: health });
app.http("healthDetails", {
  route: "v1/health/details",
  methods: ["GET"],
  authLevel: "function",
  handler: healthDetails,
});
