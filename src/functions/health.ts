// GET /api/v1/health: anonymous liveness and dependency probe for load balancers and operators.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { ConfigError, getConfig } from "../config";
import type { Config } from "../config";
import { probeGateways } from "../clients/gateway";
import { probeKeyVault } from "../clients/keyvault";
import { probeStorage } from "../clients/storage";
import { runHealthChecks } from "../domain/health";
import type { HealthCheck } from "../domain/health";
import { APP_VERSION } from "../version";

const DEFAULT_TIMEOUT_MS = 5000;

/** The probes that need a valid configuration; later capabilities add theirs here. */
export function dependencyChecks(config: Config): HealthCheck[] {
  return [
    { name: "storage", probe: (signal) => probeStorage(config, signal) },
    { name: "keyVault", probe: (signal) => probeKeyVault(config, signal) },
    { name: "gateways", probe: () => probeGateways(config) },
  ];
}

export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let config: Config | undefined;
  let configProblem: string | undefined;
  try {
    config = getConfig();
  } catch (error) {
    configProblem = error instanceof ConfigError ? error.message : String(error);
  }
  const checks: HealthCheck[] = [
    {
      name: "configuration",
      probe: () => (configProblem === undefined ? Promise.resolve("valid") : Promise.reject(new Error(configProblem))),
    },
    ...(config === undefined ? [] : dependencyChecks(config)),
  ];
  const report = await runHealthChecks(checks, APP_VERSION, config?.HEALTH_CHECK_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS);
  if (report.status !== "healthy") context.warn(`health: failing ${report.failing.join(", ")}`);
  return {
    status: report.status === "healthy" ? 200 : 503,
    jsonBody: report,
    headers: { "cache-control": "no-store" },
  };
}

app.http("health", { route: "v1/health", methods: ["GET"], authLevel: "anonymous", handler: health });
