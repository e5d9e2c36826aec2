// The real NetworkManagementClient against the ARM emulator: GET, full-object PUT as a long-running operation,
// AnotherOperationInProgress while it runs, failed operations, api-version and If-Match handling. A virtual clock
// decides when operations end, so nothing here waits on wall time.
import { RestError } from "@azure/core-rest-pipeline";
import type { NetworkManagementClient, VirtualNetworkGateway } from "@azure/arm-network";
import { createEmulatorCa, createVirtualClock } from "../../../dev/emulators/framework";
import type { EmulatorCa, VirtualClock } from "../../../dev/emulators/framework";
import { buildP2sGateway, startArmEmulator } from "../../../dev/emulators/arm";
import type { ArmEmulator } from "../../../dev/emulators/arm";
import {
  FAST_POLL,
  GATEWAY_ID,
  GATEWAY_NAME,
  RESOURCE_GROUP,
  RootCertificates,
  gatewayUrl,
  networkClient,
  rawRequest,
  thumbprint,
} from "./arm-test-support";
import { within } from "../../support/wait";

const DURATION_MS = 60_000;

let ca: EmulatorCa;
let clock: VirtualClock;
let emulator: ArmEmulator;
let client: NetworkManagementClient;
let roots: RootCertificates;
let rootA: string;
let rootB: string;

beforeAll(async () => {
  [ca, roots] = await Promise.all([createEmulatorCa(), RootCertificates.create()]);
  [rootA, rootB] = await Promise.all([roots.rsaRoot("root-a"), roots.rsaRoot("root-b")]);
  clock = createVirtualClock();
  emulator = await startArmEmulator({ ca, clock, operationDurationMs: DURATION_MS, pollRetryAfterSeconds: null });
  client = networkClient(emulator.url, ca);
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(() => {
  emulator.controls.reset();
  emulator.controls.seedGateway(
    GATEWAY_ID,
    buildP2sGateway({
      id: GATEWAY_ID,
      rootCertificates: [{ name: "root-a", publicCertData: rootA }],
      revokedCertificates: [{ name: "alice-1", thumbprint: thumbprint(1) }],
      tags: { owner: "network" },
    }),
  );
});

async function restError(promise: Promise<unknown>): Promise<RestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RestError)) throw new Error(`expected a RestError, got ${String(error)}`);
  return error;
}

function replaced(current: VirtualNetworkGateway): VirtualNetworkGateway {
  return {
    ...current,
    tags: undefined,
    vpnClientConfiguration: {
      ...current.vpnClientConfiguration,
      vpnClientRootCertificates: [{ name: "root-b", publicCertData: rootB }],
      vpnClientRevokedCertificates: [],
    },
  };
}

describe("GET", () => {
  it("carries the etag in the body only, with no ETag header, as Microsoft.Network answers", async () => {
    const response = await rawRequest(ca, "GET", gatewayUrl(emulator.url));
    expect(response.status).toBe(200);
    expect(response.headers["etag"]).toBeUndefined();
    expect((response.json() as { etag?: unknown }).etag).toMatch(/^W\/"[0-9a-f-]{36}"$/);
  });

  it("returns the seeded gateway in the SDK's model, with ids and Succeeded", async () => {
    const gateway = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(gateway.id).toBe(GATEWAY_ID);
    expect(gateway.name).toBe(GATEWAY_NAME);
    expect(gateway.provisioningState).toBe("Succeeded");
    expect(gateway.etag).toMatch(/^W\/"[0-9a-f-]{36}"$/);
    expect(gateway.gatewayType).toBe("Vpn");
    expect(gateway.sku?.name).toBe("VpnGw1");
    expect(gateway.vpnClientConfiguration?.vpnClientProtocols).toEqual(["IkeV2", "OpenVPN"]);
    expect(gateway.vpnClientConfiguration?.vpnClientRootCertificates).toEqual([
      expect.objectContaining({
        name: "root-a",
        publicCertData: rootA,
        id: `${GATEWAY_ID}/vpnClientRootCertificates/root-a`,
      }),
    ]);
    expect(gateway.vpnClientConfiguration?.vpnClientRevokedCertificates?.[0]?.thumbprint).toBe(thumbprint(1));
  });

  it("answers an ARM-shaped 404 ResourceNotFound for a missing gateway", async () => {
    const error = await restError(client.virtualNetworkGateways.get(RESOURCE_GROUP, "vgw-missing"));
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe("ResourceNotFound");
  });

  it("matches the resource id case-insensitively, as ARM does", async () => {
    const gateway = await client.virtualNetworkGateways.get(RESOURCE_GROUP.toUpperCase(), GATEWAY_NAME.toUpperCase());
    expect(gateway.id).toBe(GATEWAY_ID);
  });
});

describe("PUT as a long-running operation", () => {
  it("replaces the whole object: Updating while it runs, Succeeded with a new etag after", async () => {
    const before = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    const statuses: number[] = [];
    const poller = await client.virtualNetworkGateways.beginCreateOrUpdate(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      replaced(before),
      { ...FAST_POLL, onResponse: (raw) => statuses.push(raw.status) },
    );
    expect(statuses[0]).toBe(200);

    const during = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(during.provisioningState).toBe("Updating");
    expect(during.vpnClientConfiguration?.vpnClientRootCertificates?.map((r) => r.name)).toEqual(["root-b"]);
    expect(emulator.controls.runningOperation(GATEWAY_ID)?.name).toBe("virtualNetworkGateways.put");

    clock.advance(DURATION_MS);
    const result = await poller.pollUntilDone();
    expect(result.provisioningState).toBe("Succeeded");

    const after = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(after.provisioningState).toBe("Succeeded");
    expect(after.vpnClientConfiguration?.vpnClientRootCertificates?.map((r) => r.publicCertData)).toEqual([rootB]);
    expect(after.vpnClientConfiguration?.vpnClientRevokedCertificates).toEqual([]);
    expect(after.tags).toBeUndefined();
    expect(after.etag).not.toBe(before.etag);
    expect(after.resourceGuid).toBe(before.resourceGuid);
    expect(emulator.controls.runningOperation(GATEWAY_ID)).toBeUndefined();
  });

  it("answers 201 when the PUT creates the gateway", async () => {
    const statuses: number[] = [];
    const poller = await client.virtualNetworkGateways.beginCreateOrUpdate(
      RESOURCE_GROUP,
      "vgw-new",
      { location: "westeurope", gatewayType: "Vpn", vpnType: "RouteBased" },
      { ...FAST_POLL, onResponse: (raw) => statuses.push(raw.status) },
    );
    clock.advance(DURATION_MS);
    const created = await poller.pollUntilDone();
    expect(statuses[0]).toBe(201);
    expect(created.name).toBe("vgw-new");
    expect(created.provisioningState).toBe("Succeeded");
  });

  it("accepts a second PUT and any action while one runs, and ends them Failed AnotherOperationInProgress", async () => {
    const current = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    const poller = await client.virtualNetworkGateways.beginCreateOrUpdate(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      replaced(current),
      FAST_POLL,
    );
    const statuses: number[] = [];
    const second = client.virtualNetworkGateways.beginCreateOrUpdateAndWait(RESOURCE_GROUP, GATEWAY_NAME, current, {
      ...FAST_POLL,
      onResponse: (raw) => statuses.push(raw.status),
    });
    await expect(second).rejects.toThrow(
      /^The long-running operation has failed\. AnotherOperationInProgress\..*virtualNetworkGateways\.put/,
    );
    expect(statuses[0]).toBe(200);
    const action = client.virtualNetworkGateways.beginGetVpnclientConnectionHealthAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      FAST_POLL,
    );
    await expect(action).rejects.toThrow(/AnotherOperationInProgress/);

    // The refusals changed nothing and occupy nothing: the first PUT still runs, then lands.
    expect(emulator.controls.runningOperation(GATEWAY_ID)?.name).toBe("virtualNetworkGateways.put");
    clock.advance(DURATION_MS);
    await poller.pollUntilDone();
    const after = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(after.provisioningState).toBe("Succeeded");
    expect(after.vpnClientConfiguration?.vpnClientRootCertificates?.map((r) => r.name)).toEqual(["root-b"]);
  });

  it("refuses a second PUT and any action with a synchronous 409 when set to", async () => {
    emulator.controls.setConflictForm("synchronous");
    const current = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    const poller = await client.virtualNetworkGateways.beginCreateOrUpdate(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      replaced(current),
      FAST_POLL,
    );

    const second = await restError(
      client.virtualNetworkGateways.beginCreateOrUpdateAndWait(RESOURCE_GROUP, GATEWAY_NAME, current, FAST_POLL),
    );
    expect(second.statusCode).toBe(409);
    expect(second.code).toBe("AnotherOperationInProgress");
    expect(second.message).toContain("virtualNetworkGateways.put");

    const action = await restError(
      client.virtualNetworkGateways.beginGetVpnclientConnectionHealthAndWait(RESOURCE_GROUP, GATEWAY_NAME, FAST_POLL),
    );
    expect(action.code).toBe("AnotherOperationInProgress");

    clock.advance(DURATION_MS);
    await poller.pollUntilDone();
    // The refused PUT changed nothing.
    const after = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(after.vpnClientConfiguration?.vpnClientRootCertificates?.map((r) => r.name)).toEqual(["root-b"]);
  });

  it("keeps refusing writes for the conflict tail after an operation reports success", async () => {
    emulator.controls.setConflictForm("synchronous");
    emulator.controls.setConflictTailMs(5_000);
    const current = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    const poller = await client.virtualNetworkGateways.beginCreateOrUpdate(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      current,
      FAST_POLL,
    );
    clock.advance(DURATION_MS);
    await poller.pollUntilDone();

    const early = await restError(
      client.virtualNetworkGateways.beginCreateOrUpdate(RESOURCE_GROUP, GATEWAY_NAME, current, FAST_POLL),
    );
    expect(early.code).toBe("AnotherOperationInProgress");
    clock.advance(5_000);
    const late = await client.virtualNetworkGateways.beginCreateOrUpdate(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      current,
      FAST_POLL,
    );
    clock.advance(DURATION_MS);
    await expect(late.pollUntilDone()).resolves.toMatchObject({ provisioningState: "Succeeded" });
  });

  it("refuses a counted number of writes after an operation reports success, however late they come", async () => {
    emulator.controls.setConflictForm("synchronous");
    emulator.controls.setConflictTailRefusals(2);
    const current = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    const poller = await client.virtualNetworkGateways.beginCreateOrUpdate(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      current,
      FAST_POLL,
    );
    emulator.controls.setConflictTailRefusals(0);
    clock.advance(DURATION_MS);
    await poller.pollUntilDone();
    // Long after the operation ended, still two refusals: the tail is counted, not timed.
    clock.advance(60_000);
    for (let refusal = 0; refusal < 2; refusal++) {
      const refused = await restError(
        client.virtualNetworkGateways.beginCreateOrUpdate(RESOURCE_GROUP, GATEWAY_NAME, current, FAST_POLL),
      );
      expect(refused.code).toBe("AnotherOperationInProgress");
    }
    const accepted = await client.virtualNetworkGateways.beginCreateOrUpdate(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      current,
      FAST_POLL,
    );
    clock.advance(DURATION_MS);
    await expect(accepted.pollUntilDone()).resolves.toMatchObject({ provisioningState: "Succeeded" });
  });

  it("ends a planned failure as a failed operation and leaves the gateway Failed", async () => {
    emulator.controls.failNextOperation(GATEWAY_ID, { code: "InternalServerError", message: "gateway update failed" });
    const current = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    const poller = await client.virtualNetworkGateways.beginCreateOrUpdate(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      current,
      FAST_POLL,
    );
    clock.advance(DURATION_MS);
    await expect(poller.pollUntilDone()).rejects.toThrow(/InternalServerError.*gateway update failed/);
    const after = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(after.provisioningState).toBe("Failed");
  });

  it("shows the operation status resource InProgress, then Succeeded", async () => {
    const response = await rawRequest(ca, "PUT", gatewayUrl(emulator.url), emulator.controls.gateway(GATEWAY_ID));
    expect(response.status).toBe(200);
    const statusUrl = response.headers["azure-asyncoperation"];
    expect(typeof statusUrl).toBe("string");
    expect(response.headers["location"]).toEqual(expect.stringContaining("/operationResults/"));
    const poll = async (): Promise<unknown> => (await rawRequest(ca, "GET", String(statusUrl))).json();
    // Microsoft.Network's status body is bare: the status, and the error once failed.
    await expect(poll()).resolves.toEqual({ status: "InProgress" });
    clock.advance(DURATION_MS);
    await expect(poll()).resolves.toEqual({ status: "Succeeded" });
  });

  it("answers a failed operation's status as a bare status and error", async () => {
    emulator.controls.failNextOperation(GATEWAY_ID, { code: "InternalServerError", message: "update failed" });
    const response = await rawRequest(ca, "PUT", gatewayUrl(emulator.url), emulator.controls.gateway(GATEWAY_ID));
    clock.advance(DURATION_MS);
    const status = await rawRequest(ca, "GET", String(response.headers["azure-asyncoperation"]));
    expect(status.json()).toEqual({
      status: "Failed",
      error: { code: "InternalServerError", message: "update failed" },
    });
  });

  it("sends Retry-After: 10 on the operation and its running polls by default, as the network provider does", async () => {
    const defaults = await startArmEmulator({ ca, clock, operationDurationMs: DURATION_MS });
    try {
      defaults.controls.seedGateway(GATEWAY_ID, buildP2sGateway({ id: GATEWAY_ID }));
      expect(defaults.controls.settings().pollRetryAfterSeconds).toBe(10);
      const response = await rawRequest(ca, "PUT", gatewayUrl(defaults.url), defaults.controls.gateway(GATEWAY_ID));
      expect(response.headers["retry-after"]).toBe("10");
      const status = await rawRequest(ca, "GET", String(response.headers["azure-asyncoperation"]));
      expect(status.headers["retry-after"]).toBe("10");
    } finally {
      await defaults.stop();
    }
  });
  it("sends Retry-After on the operation headers and running polls when configured", async () => {
    emulator.controls.setPollRetryAfterSeconds(7);
    const response = await rawRequest(ca, "PUT", gatewayUrl(emulator.url), emulator.controls.gateway(GATEWAY_ID));
    expect(response.headers["retry-after"]).toBe("7");
    const statusUrl = String(response.headers["azure-asyncoperation"]);
    expect((await rawRequest(ca, "GET", statusUrl)).headers["retry-after"]).toBe("7");
    const resultUrl = String(response.headers["location"]);
    const pending = await rawRequest(ca, "GET", resultUrl);
    expect(pending.status).toBe(202);
    clock.advance(DURATION_MS);
    const done = await rawRequest(ca, "GET", statusUrl);
    expect(done.headers["retry-after"]).toBeUndefined();
    const result = await rawRequest(ca, "GET", resultUrl);
    expect(result.status).toBe(200);
    expect(result.json()).toMatchObject({ id: GATEWAY_ID, properties: { provisioningState: "Succeeded" } });
  });
});

describe("request checks", () => {
  it("refuses api-versions older than 2024-05-01 and a missing api-version", async () => {
    const old = await rawRequest(ca, "GET", gatewayUrl(emulator.url, "2023-09-01"));
    expect(old.status).toBe(400);
    expect(old.json()).toMatchObject({ error: { code: "InvalidApiVersionParameter" } });
    const missing = await rawRequest(ca, "GET", gatewayUrl(emulator.url, null));
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ error: { code: "MissingApiVersionParameter" } });
  });

  it("requires a bearer token", async () => {
    const response = await rawRequest(ca, "GET", gatewayUrl(emulator.url), undefined, {}, true);
    expect(response.status).toBe(401);
  });

  it("ignores If-Match when set to (the gateway spec declares none): a stale etag is accepted", async () => {
    emulator.controls.setIfMatchMode("ignored");
    const gateway = emulator.controls.gateway(GATEWAY_ID);
    const stale = await rawRequest(ca, "PUT", gatewayUrl(emulator.url), gateway, { "if-match": 'W/"stale"' });
    expect(stale.status).toBe(200);
  });

  it("holds the next PUT at a gate until released, so an edit can be placed before it", async () => {
    const gate = emulator.controls.holdNext(GATEWAY_ID, "put");
    const gateway = emulator.controls.gateway(GATEWAY_ID);
    const etag = gateway?.["etag"];
    if (typeof etag !== "string") throw new Error("the seeded gateway has no etag");
    const held = rawRequest(ca, "PUT", gatewayUrl(emulator.url), gateway, { "if-match": etag });
    await within(gate.reached, { message: "the PUT to reach the gate" });
    // While the PUT is held, an operator's edit lands first (seeded: no operation), so the held PUT meets a new etag.
    emulator.controls.seedGateway(GATEWAY_ID, buildP2sGateway({ id: GATEWAY_ID, tags: { edited: "by hand" } }));
    gate.release();
    expect((await held).status).toBe(412);
    expect(emulator.controls.gateway(GATEWAY_ID)?.["tags"]).toEqual({ edited: "by hand" });
  });

  it("answers 412 when If-Match names another etag, and accepts the current one", async () => {
    const gateway = emulator.controls.gateway(GATEWAY_ID);
    const stale = await rawRequest(ca, "PUT", gatewayUrl(emulator.url), gateway, { "if-match": 'W/"stale"' });
    expect(stale.status).toBe(412);
    const etag = gateway?.["etag"];
    if (typeof etag !== "string") throw new Error("the seeded gateway has no etag");
    const current = await rawRequest(ca, "PUT", gatewayUrl(emulator.url), gateway, { "if-match": etag });
    expect(current.status).toBe(200);
  });
});
