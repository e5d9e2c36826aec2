import { HttpRequest, InvocationContext } from "@azure/functions";
import { health, healthDetails } from "../../src/functions/health";
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

/** GET /api/v1/health/details (function key and a Gateways.Read token): the full report. */
async function callHealth(token: string | null = stack.adminToken): Promise<{
  status: number | undefined;
  body: HealthReport;
}> {
  const response = await healthDetails(
    new HttpRequest({
      method: "GET",
      url: "http://127.0.0.1/api/v1/health/details",
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    }),
    new InvocationContext({ functionName: "healthDetails" }),
  );
  return { status: response.status, body: response.jsonBody as HealthReport };
}

/** GET /api/v1/health (anonymous). */
async function callAnonymous(): Promise<{ status: number | undefined; body: unknown }> {
  const response = await health(
    new HttpRequest({ method: "GET", url: "http://127.0.0.1/api/v1/health" }),
    new InvocationContext({ functionName: "health" }),
  );
  return { status: response.status, body: response.jsonBody };
}

describe("GET /api/v1/health (anonymous)", () => {
  it("answers only the status: no checks, hosts or error text", async () => {
    stack.useProcessEnv();
    expect(await callAnonymous()).toEqual({ status: 200, body: { status: "healthy" } });
    stack.useProcessEnv({ KEY_VAULT_URL: undefined });
    expect(await callAnonymous()).toEqual({ status: 503, body: { status: "unhealthy" } });
  });

  it("probes Key Vault, ARM and storage once for any number of calls within HEALTH_CACHE_MS", async () => {
    stack.useProcessEnv({ HEALTH_CACHE_MS: "60000" });
    const vaultLists = (): number => stack.keyVault.stats.operation("certificates.list").count;
    const gatewayReads = (): number => stack.arm.stats.operation("virtualNetworkGateways.get").count;
    const [lists, reads] = [vaultLists(), gatewayReads()];
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => callAnonymous()));
    for (let i = 0; i < 10; i++) concurrent.push(await callAnonymous());
    expect(concurrent.every((answer) => answer.status === 200)).toBe(true);
    expect(vaultLists() - lists).toBe(1);
    expect(gatewayReads() - reads).toBe(1);
  });
});

describe("GET /api/v1/health/details", () => {
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

  it("answers 503 naming storage when only the table service is unreachable", async () => {
    const tableDown = stack.env.AzureWebJobsStorage?.replace(/(TableEndpoint=http:\/\/127\.0\.0\.1:)\d+/, "$19");
    expect(tableDown).not.toBe(stack.env.AzureWebJobsStorage);
    stack.useProcessEnv({ AzureWebJobsStorage: tableDown, HEALTH_CHECK_TIMEOUT_MS: "3000" });
    const { status, body } = await callHealth();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["storage"]);
    expect(body.checks.find((c) => c.name === "storage")?.detail).toMatch(/table service unreachable/);
  });

  it("answers 503 naming the gateway check when ARM fails", async () => {
    stack.useProcessEnv();
    stack.arm.faults.add({ operation: "virtualNetworkGateways.get", status: 404, code: "ResourceNotFound", count: 1 });
    const { status, body } = await callHealth();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["gateways"]);
  });

  it("answers 401 without a token and 403 without Gateways.Read, probing nothing", async () => {
    stack.useProcessEnv();
    const lists = stack.keyVault.stats.operation("certificates.list").count;
    const anonymous = await callHealth(null);
    expect(anonymous.status).toBe(401);
    expect(JSON.stringify(anonymous.body)).not.toContain("keyVault");
    const user = await stack.identity.controls.userToken("alice@contoso.com");
    expect((await callHealth(user)).status).toBe(403);
    expect(stack.keyVault.stats.operation("certificates.list").count).toBe(lists);
  });

  it("answers 503 naming configuration and the bad setting when config is invalid", async () => {
    stack.useProcessEnv({ KEY_VAULT_URL: undefined });
    const { status, body } = await callHealth();
    expect(status).toBe(503);
    expect(body.failing).toEqual(["configuration"]);
    expect(body.checks[0]?.detail).toContain("KEY_VAULT_URL is required");
  });
});
