// The sandbox's emulators driven from outside, as a tool or a person with curl would: faults injected over HTTP at
// /_emulator/faults reach the app through the real SDKs, and /_emulator/stats counts what the app sent. The ARM
// emulator's own controls (/_emulator/arm/...) share its port.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { readFileSync } from "node:fs";
import { httpsRequest } from "../support/emulator-clients";
import type { HttpsResult } from "../support/emulator-clients";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";

interface StatsBody {
  operations: Record<string, { count: number; faulted: number; handled: number }>;
}

let sandbox: TestSandbox;
let ca: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ca = readFileSync(sandbox.endpoints.caFile, "utf8");
  await sandbox.host.idle();
});

afterAll(async () => {
  await sandbox.stop();
});

const control = (url: string, method = "GET", body?: unknown): Promise<HttpsResult> =>
  httpsRequest(url, { ca, method, ...(body === undefined ? {} : { body }) });

async function health(): Promise<{ status: number; failing: string[] }> {
  // The details route probes afresh on each call (the anonymous one reuses a recent result).
  const response = await sandbox.api("GET", "/api/v1/health/details");
  return { status: response.status, failing: (response.body as { failing: string[] }).failing };
}

async function stats(url: string, operation: string): Promise<{ count: number; faulted: number; handled: number }> {
  const response = await control(`${url}/_emulator/stats`);
  expect(response.status).toBe(200);
  return (response.json as StatsBody).operations[operation] ?? { count: 0, faulted: 0, handled: 0 };
}

it.each([
  ["Key Vault", "keyVaultUrl", "certificates.list", "keyVault"],
  ["ARM", "armUrl", "virtualNetworkGateways.get", "gateways"],
] as const)(
  "%s: a fault injected over HTTP fails the app's health check until it is cleared",
  async (_, key, operation, check) => {
    const url = sandbox.endpoints[key];
    const before = await stats(url, operation);

    const added = await control(`${url}/_emulator/faults`, "POST", { operation, status: 403, code: "Forbidden" });
    expect(added.status).toBe(201);
    expect((await control(`${url}/_emulator/faults`)).json).toEqual({
      value: [expect.objectContaining({ operation })],
    });
    expect(await health()).toEqual({ status: 503, failing: [check] });
    expect((await stats(url, operation)).faulted).toBeGreaterThan(before.faulted);

    expect((await control(`${url}/_emulator/faults`, "DELETE")).status).toBe(204);
    const handledBefore = (await stats(url, operation)).handled;
    expect(await health()).toEqual({ status: 200, failing: [] });
    expect((await stats(url, operation)).handled).toBeGreaterThan(handledBefore);
  },
);

it("serves the ARM emulator's own controls on its port, beside the framework's", async () => {
  expect(sandbox.endpoints.armControlUrl).toBe(sandbox.endpoints.armUrl);
  const gateways = await control(`${sandbox.endpoints.armUrl}/_emulator/arm/gateways`);
  expect(gateways.status).toBe(200);
  expect((gateways.json as { value: { id: string }[] }).value.map((g) => g.id)).toEqual(sandbox.endpoints.gatewayIds);
});
