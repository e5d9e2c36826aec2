import { HttpRequest, InvocationContext } from "@azure/functions";
import { health } from "../../src/functions/health";
import type { HealthReport } from "../../src/domain/health";
import { startStack } from "../support/stack";
import type { Stack } from "../support/stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack.stop();
});

async function callHealth(): Promise<{ status: number | undefined; body: HealthReport }> {
  const response = await health(
    new HttpRequest({ method: "GET", url: "http://127.0.0.1/api/v1/health" }),
    new InvocationContext({ functionName: "health" }),
  );
  return { status: response.status, body: response.jsonBody as HealthReport };
}

describe("GET /api/v1/health", () => {
  it("answers 200 with every dependency probed through the real SDKs", async () => {
    stack.useProcessEnv();
    const { status, body } = await callHealth();
    expect(status).toBe(200);
    expect(body.status).toBe("healthy");
    expect(body.checks.map((c) => [c.name, c.status])).toEqual([
      ["configuration", "pass"],
      ["storage", "pass"],
      ["keyVault", "pass"],
      ["gateways", "pass"],
    ]);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(stack.keyVault.stats.operation("certificates.list").count).toBeGreaterThan(0);
  });

  it("answers 503 naming storage when storage is unreachable", async () => {
    const closed = stack.env.AzureWebJobsStorage?.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:9");
    stack.useProcessEnv({ AzureWebJobsStorage: closed, HEALTH_CHECK_TIMEOUT_MS: "3000" });
    const { status, body } = await callHealth();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["storage"]);
    expect(body.checks.find((c) => c.name === "storage")?.detail).toMatch(/blob service unreachable/);
  });

  it("answers 503 naming the gateway check when ARM fails", async () => {
    stack.useProcessEnv();
    stack.arm.faults.add({ operation: "virtualNetworkGateways.get", status: 404, code: "ResourceNotFound", count: 1 });
    const { status, body } = await callHealth();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["gateways"]);
  });

  it("answers 503 naming configuration and the bad setting when config is invalid", async () => {
    stack.useProcessEnv({ KEY_VAULT_URL: undefined });
    const { status, body } = await callHealth();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["configuration"]);
    expect(body.checks[0]?.detail).toContain("KEY_VAULT_URL is required");
  });
});
