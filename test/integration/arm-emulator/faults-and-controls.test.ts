// Faults and statistics through the framework, named per operation, as the real SDK experiences them: 429 with
// Retry-After is retried by the SDK, 409 is not; faults on polls are retried too. And the HTTP control API that
// drives the emulator from outside the process.
import { RestError } from "@azure/core-rest-pipeline";
import type { NetworkManagementClient } from "@azure/arm-network";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { OPERATION_NAMES, buildP2sGateway, startArmEmulator } from "../../../dev/emulators/arm";
import type { ArmEmulator } from "../../../dev/emulators/arm";
import { FAST_POLL, GATEWAY_ID, GATEWAY_NAME, RESOURCE_GROUP, networkClient, rawRequest } from "./arm-test-support";

let ca: EmulatorCa;
let emulator: ArmEmulator;
let client: NetworkManagementClient;

beforeAll(async () => {
  ca = await createEmulatorCa();
  emulator = await startArmEmulator({ ca, operationDurationMs: 0, pollRetryAfterSeconds: null });
  client = networkClient(emulator.url, ca);
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(() => {
  emulator.controls.reset();
  emulator.faults.clear();
  emulator.stats.reset();
  emulator.controls.seedGateway(GATEWAY_ID, buildP2sGateway({ id: GATEWAY_ID }));
});

async function rejection(promise: Promise<unknown>): Promise<RestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RestError)) throw new Error(`expected a RestError, got ${String(error)}`);
  return error;
}

describe("faults", () => {
  it("lets the SDK retry 429 with Retry-After, and counts every attempt", async () => {
    emulator.faults.add({
      operation: OPERATION_NAMES.get,
      status: 429,
      code: "TooManyRequests",
      retryAfterSeconds: 0,
      count: 2,
    });
    const gateway = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(gateway.name).toBe(GATEWAY_NAME);
    expect(emulator.stats.operation(OPERATION_NAMES.get)).toMatchObject({
      count: 3,
      faulted: 2,
      handled: 1,
      byStatus: { "429": 2, "200": 1 },
    });
  });

  it("surfaces 429 as a RestError once the SDK's three retries are spent", async () => {
    emulator.faults.add({ operation: OPERATION_NAMES.get, status: 429, code: "TooManyRequests", retryAfterSeconds: 0 });
    const error = await rejection(client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME));
    expect(error.statusCode).toBe(429);
    expect(emulator.stats.operation(OPERATION_NAMES.get).count).toBe(4);
  });

  it("does not retry 409 AnotherOperationInProgress", async () => {
    emulator.faults.add({
      operation: OPERATION_NAMES.put,
      status: 409,
      code: "AnotherOperationInProgress",
      message: "Another operation on this or dependent resource is in progress.",
    });
    const gateway = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    const error = await rejection(
      client.virtualNetworkGateways.beginCreateOrUpdateAndWait(RESOURCE_GROUP, GATEWAY_NAME, gateway, FAST_POLL),
    );
    expect(error.statusCode).toBe(409);
    expect(error.code).toBe("AnotherOperationInProgress");
    expect(emulator.stats.operation(OPERATION_NAMES.put)).toMatchObject({ count: 1, faulted: 1 });
  });

  it("retries a throttled operation-status poll and still completes the PUT", async () => {
    emulator.faults.add({ operation: OPERATION_NAMES.operationStatus, status: 429, retryAfterSeconds: 0, count: 1 });
    const gateway = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    const result = await client.virtualNetworkGateways.beginCreateOrUpdateAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      { ...gateway, tags: { polled: "yes" } },
      FAST_POLL,
    );
    expect(result.tags).toEqual({ polled: "yes" });
    expect(emulator.stats.operation(OPERATION_NAMES.operationStatus).byStatus).toEqual({ "429": 1, "200": 1 });
  });

  it("names each action's operation in the statistics", async () => {
    await client.virtualNetworkGateways.beginGetVpnclientConnectionHealthAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      FAST_POLL,
    );
    await client.virtualNetworkGateways.beginDisconnectVirtualNetworkGatewayVpnConnectionsAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      { vpnConnectionIds: [] },
      FAST_POLL,
    );
    const seen = Object.keys(emulator.stats.get());
    expect(seen).toEqual(
      expect.arrayContaining([
        OPERATION_NAMES.getVpnclientConnectionHealth,
        OPERATION_NAMES.disconnect,
        OPERATION_NAMES.operationStatus,
        OPERATION_NAMES.operationResult,
      ]),
    );
  });
});

describe("HTTP controls", () => {
  const control = (method: string, path: string, body?: unknown): ReturnType<typeof rawRequest> =>
    rawRequest(ca, method, `${emulator.controlUrl}/_emulator/arm${path}`, body, {}, true);

  it("seeds gateways, connects and lists sessions, and tunes settings without a token", async () => {
    const seeded = await control("POST", "/gateways", {
      id: GATEWAY_ID.replace("vgw-hub", "vgw-spoke"),
      gateway: buildP2sGateway({ id: GATEWAY_ID.replace("vgw-hub", "vgw-spoke") }),
    });
    expect(seeded.status).toBe(201);
    const spoke = await client.virtualNetworkGateways.get(RESOURCE_GROUP, "vgw-spoke");
    expect(spoke.provisioningState).toBe("Succeeded");

    const connected = await control("POST", "/sessions", { gatewayId: GATEWAY_ID, vpnUserName: "carol@contoso.com" });
    expect(connected.status).toBe(201);
    const { vpnConnectionId } = connected.json() as { vpnConnectionId: string };
    const health = await client.virtualNetworkGateways.beginGetVpnclientConnectionHealthAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      FAST_POLL,
    );
    expect(health.value?.map((s) => s.vpnConnectionId)).toEqual([vpnConnectionId]);

    const listed = await control("GET", `/sessions?gatewayId=${encodeURIComponent(GATEWAY_ID)}`);
    expect(listed.json()).toMatchObject({ value: [{ vpnUserName: "carol@contoso.com" }] });
    const removed = await control(
      "DELETE",
      `/sessions/${encodeURIComponent(vpnConnectionId)}?gatewayId=${encodeURIComponent(GATEWAY_ID)}`,
    );
    expect(removed.status).toBe(204);
    expect(emulator.controls.sessions(GATEWAY_ID)).toEqual([]);

    const settings = await control("PATCH", "/settings", {
      operationDurationMs: 1234,
      conflictTailMs: 10,
      conflictTailRefusals: 2,
    });
    expect(settings.json()).toEqual({
      operationDurationMs: 1234,
      conflictTailMs: 10,
      conflictTailRefusals: 2,
      pollRetryAfterSeconds: null,
      conflictForm: "failedOperation",
      ifMatch: "enforced",
    });
    expect(emulator.controls.operationDurationMs()).toBe(1234);
  });

  it("plans a failed operation and reports the running one", async () => {
    emulator.controls.setOperationDurationMs(60_000);
    const planned = await control("POST", "/operation-failures", {
      gatewayId: GATEWAY_ID,
      code: "InternalServerError",
      message: "boom",
    });
    expect(planned.status).toBe(204);
    await client.virtualNetworkGateways.beginGetVpnclientConnectionHealth(RESOURCE_GROUP, GATEWAY_NAME, FAST_POLL);
    const running = await control("GET", `/operations?gatewayId=${encodeURIComponent(GATEWAY_ID)}`);
    expect(running.json()).toMatchObject({ name: OPERATION_NAMES.getVpnclientConnectionHealth, status: "InProgress" });
  });

  it("answers 400 for invalid control requests", async () => {
    const badSession = await control("POST", "/sessions", { gatewayId: GATEWAY_ID });
    expect(badSession.status).toBe(400);
    const unknownGateway = await control("POST", "/sessions", {
      gatewayId: GATEWAY_ID.replace("vgw-hub", "vgw-none"),
      vpnUserName: "x@contoso.com",
    });
    expect(unknownGateway.status).toBe(400);
    const badSeed = await control("POST", "/gateways", { id: GATEWAY_ID, gateway: { properties: {} } });
    expect(badSeed.status).toBe(400);
    expect(JSON.stringify(badSeed.json())).toContain("location property is required");
  });
});
