import { HttpRequest, InvocationContext } from "@azure/functions";
import { resetConfig } from "../../src/config";
import { health } from "../../src/functions/health";
import type { HealthReport } from "../../src/domain/health";
import { azuriteConnectionString } from "../support/azurite";
import { baseEnv } from "../support/env";

const saved = { ...process.env };

function useEnv(env: Record<string, string | undefined>): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) Reflect.deleteProperty(process.env, key);
  Object.assign(process.env, saved);
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = value;
  }
  resetConfig();
}

async function callHealth(): Promise<{ status: number | undefined; body: HealthReport }> {
  const response = await health(
    new HttpRequest({ method: "GET", url: "http://127.0.0.1/api/v1/health" }),
    new InvocationContext({ functionName: "health" }),
  );
  return { status: response.status, body: response.jsonBody as HealthReport };
}

afterAll(() => {
  useEnv({});
});

describe("GET /api/v1/health", () => {
  it("answers 200 with every check passing against Azurite", async () => {
    useEnv(baseEnv({ AzureWebJobsStorage: azuriteConnectionString() }));
    const { status, body } = await callHealth();
    expect(status).toBe(200);
    expect(body.status).toBe("healthy");
    expect(body.checks.map((c) => [c.name, c.status])).toEqual([
      ["configuration", "pass"],
      ["storage", "pass"],
    ]);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("answers 503 naming storage when storage is unreachable", async () => {
    const closed = azuriteConnectionString().replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:9");
    useEnv(baseEnv({ AzureWebJobsStorage: closed, HEALTH_CHECK_TIMEOUT_MS: "3000" }));
    const { status, body } = await callHealth();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["storage"]);
    expect(body.checks.find((c) => c.name === "storage")?.detail).toMatch(/blob service unreachable/);
  });

  it("answers 503 naming configuration and the bad setting when config is invalid", async () => {
    useEnv(baseEnv({ AzureWebJobsStorage: azuriteConnectionString(), KEY_VAULT_URL: undefined }));
    const { status, body } = await callHealth();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["configuration"]);
    expect(body.checks[0]?.detail).toContain("KEY_VAULT_URL is required");
  });
});
