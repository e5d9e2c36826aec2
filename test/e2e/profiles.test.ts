// VPN client profiles end to end: the real app on the sandbox, the ARM emulator's generatevpnprofile packages, Event
// Grid notifications through the host's webhook, packages read back from Azurite with @azure/storage-blob. The
// writer's own root upload publishes the first package; the same configuration again and a revocation-only change are
// skipped; an address-pool change gives a new version; another resource's event is ignored; the API's link works and
// expires; the weekly refresh finds Microsoft's new server root, publishes and alerts.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { unzipSync } from "fflate";
import { JumpClock } from "../../bench/chaos/jump-clock";
import { EventType } from "../../dev/durable/protocol";
import { accessTokenPayload } from "../../dev/emulators/identity";
import { SANDBOX_GATEWAY_ID } from "../../dev/sandbox/sandbox";
import { APP_ROLES } from "../../src/functions/auth/actor";
import { linkBlobService } from "../../src/clients/blob-links";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { profileRegeneratorInstanceId } from "../../src/domain/profile-regenerator-id";
import type { ProfileManifest } from "../../src/domain/profile-manifest";
import { ignoredGatewayEvents } from "../../src/functions/gateway-events";
import type { RegeneratorOutput } from "../../src/orchestrations/profile-regenerator";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { waitFor } from "../support/wait";

let sandbox: TestSandbox;
let ca: string;
const GATEWAY = "vgw-sandbox";
const INSTANCE = profileRegeneratorInstanceId(SANDBOX_GATEWAY_ID);
// The wall clock, which the busy-gateway test moves to the end of the regenerator's wait instead of waiting it out.
const clockErrors: unknown[] = [];
const clock = new JumpClock((error) => clockErrors.push(error));

beforeAll(async () => {
  sandbox = await startTestSandbox({
    clock,
    profiles: true,
    settings: { PROFILE_DEBOUNCE_MS: "300", PROFILE_LINK_SECONDS: "5", PROFILE_VERSIONS_KEPT: "2" },
  });
  ca = await readFile(sandbox.endpoints.caFile, "utf8");
});

afterAll(async () => {
  await sandbox.stop();
  expect(clockErrors).toEqual([]);
});

function container() {
  return linkBlobService(getConfig()).getContainerClient(getConfig().PROFILE_CONTAINER);
}

async function manifest(): Promise<ProfileManifest> {
  const text = (await container().getBlockBlobClient(`${GATEWAY}/latest.json`).downloadToBuffer()).toString("utf8");
  return JSON.parse(text) as ProfileManifest;
}

async function versions(): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container().listBlobsFlat({ prefix: `${GATEWAY}/` })) names.push(blob.name);
  return names.filter((n) => n.endsWith("/vpnprofile.zip")).sort();
}

/** The package of the manifest, read back, its SHA-256 checked against the manifest and the blob's metadata. */
async function publishedPackage(m: ProfileManifest): Promise<Map<string, string>> {
  const blob = container().getBlockBlobClient(m.path);
  const bytes = await blob.downloadToBuffer();
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(m.sha256);
  expect((await blob.getProperties()).metadata?.sha256).toBe(m.sha256);
  expect(bytes.length).toBe(m.size);
  return new Map(Object.entries(unzipSync(bytes)).map(([name, data]) => [name, Buffer.from(data).toString("utf8")]));
}

function writeSuccess(resourceId: string, eventType = "Microsoft.Resources.ResourceWriteSuccess"): object {
  const subscriptionId = resourceId.split("/")[2] ?? "";
  return {
    id: randomUUID(),
    topic: `/subscriptions/${subscriptionId}`,
    subject: resourceId,
    eventType,
    eventTime: new Date().toISOString(),
    dataVersion: "2",
    metadataVersion: "1",
    data: {
      authorization: { scope: resourceId, action: "Microsoft.Network/virtualNetworkGateways/write" },
      claims: { appid: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" },
      correlationId: randomUUID(),
      httpRequest: { clientIpAddress: "203.0.113.7", method: "PUT", url: `https://management.azure.com${resourceId}` },
      resourceProvider: "Microsoft.Network",
      resourceUri: resourceId,
      operationName: "Microsoft.Network/virtualNetworkGateways/write",
      status: "Succeeded",
      subscriptionId,
      tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    },
  };
}

async function notify(events: readonly object[]): Promise<void> {
  const response = await fetch(`${sandbox.endpoints.host}/runtime/webhooks/eventgrid?functionName=gatewayEvents`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "aeg-event-type": "Notification",
      "x-functions-key": sandbox.endpoints.eventGridKey,
    },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(202);
}

/** Sends one write event of the sandbox gateway and answers what the regenerator's run did. */
async function regenerateAfterEvent(): Promise<RegeneratorOutput["passes"]> {
  await notify([writeSuccess(SANDBOX_GATEWAY_ID)]);
  const done = await sandbox.waitForInstance(INSTANCE, 60_000);
  expect(done.runtimeStatus).toBe("Completed");
  return (done.output as RegeneratorOutput).passes;
}

/**
 * When the regenerator's current run has a durable timer of at least `minMs` (its wait for a busy gateway: its
 * debounce and quiet windows are shorter) made since `sinceMs`, the time it fires.
 */
function longTimerFireAt(sinceMs: number, minMs: number): number | undefined {
  for (const event of sandbox.durable.inspect(INSTANCE)?.history ?? []) {
    const e = event as { EventType: number; Timestamp: string; FireAt?: string };
    if (e.EventType !== EventType.TimerCreated || e.FireAt === undefined) continue;
    const at = Date.parse(e.Timestamp);
    const fireAt = Date.parse(e.FireAt);
    if (at >= sinceMs && fireAt - at >= minMs) return fireAt;
  }
  return undefined;
}

/** Changes the gateway as an operator's edit would (outside the app), through the emulator's stored object. */
function editGateway(change: (vpn: Record<string, unknown>) => void): void {
  const gateway = sandbox.arm.controls.storedGateway(SANDBOX_GATEWAY_ID) as { properties: Record<string, unknown> };
  change(gateway.properties["vpnClientConfiguration"] as Record<string, unknown>);
  sandbox.arm.controls.seedGateway(SANDBOX_GATEWAY_ID, gateway);
}

function binaryGet(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) });
      });
      response.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

describe("VPN client profiles", () => {
  it("publishes the first package after the writer uploaded the root, without any event", async () => {
    const ledger = Ledger.fromConfig(getConfig());
    const published = await waitFor(
      async () => (await ledger.listAudit(GATEWAY)).find((a) => a.action === "profile.published"),
      { message: "the first profile package to be published", timeoutMs: 60_000 },
    );
    expect(String(published.details?.trigger)).toMatch(/^writer /);
    await sandbox.waitForInstance(INSTANCE, 60_000);

    const m = await manifest();
    expect(m).toMatchObject({
      gateway: GATEWAY,
      changes: ["first package"],
      folders: ["AzureVPN", "Generic", "OpenVPN"],
    });
    expect(m.path).toBe(`${GATEWAY}/${m.fingerprint}/vpnprofile.zip`);
    const files = await publishedPackage(m);
    expect([...files.keys()].sort()).toEqual([
      "AzureVPN/azurevpnconfig.xml",
      "Generic/VpnSettings.xml",
      "OpenVPN/vpnconfig.ovpn",
    ]);
    expect(files.get("Generic/VpnSettings.xml")).toContain(
      `<ServerCertRootCn>${m.serverRoot.commonName}</ServerCertRootCn>`,
    );
    expect(await versions()).toEqual([m.path]);
  });

  it("skips the same configuration again, and a revocation-only change, recording each", async () => {
    const before = await manifest();
    expect(await regenerateAfterEvent()).toEqual([{ outcome: "skipped", fingerprint: before.fingerprint }]);

    editGateway((vpn) => {
      vpn["vpnClientRevokedCertificates"] = [{ name: "hand-revoked", properties: { thumbprint: "AB".repeat(20) } }];
    });
    expect(await regenerateAfterEvent()).toEqual([{ outcome: "skipped", fingerprint: before.fingerprint }]);
    expect(await manifest()).toEqual(before);
    expect(await versions()).toEqual([before.path]);
    const skipped = (await Ledger.fromConfig(getConfig()).listAudit(GATEWAY)).filter(
      (a) => a.action === "profile.skipped",
    );
    expect(skipped).toHaveLength(2);
  });

  it("publishes a new version after an address-pool change, saying what changed", async () => {
    const before = await manifest();
    editGateway((vpn) => {
      vpn["vpnClientAddressPool"] = { addressPrefixes: ["172.16.202.0/24"] };
    });
    const passes = await regenerateAfterEvent();
    expect(passes).toEqual([
      { outcome: "published", fingerprint: expect.any(String) as string, serverRootChanged: false },
    ]);
    const after = await manifest();
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.changes).toEqual(["addressPools: +172.16.202.0/24 -172.16.201.0/24"]);
    expect((await publishedPackage(after)).get("Generic/VpnSettings.xml")).toContain("<Route>172.16.202.0/24</Route>");
    expect(await versions()).toEqual([before.path, after.path].sort());
  });

  it("waits out a gateway busy with another operation, then publishes", async () => {
    editGateway((vpn) => {
      vpn["vpnClientAddressPool"] = { addressPrefixes: ["172.16.203.0/24"] };
    });
    sandbox.arm.controls.setOperationDurationMs(3_000);
    const { services } = await import("../../src/activities/services");
    const { parseGatewayId } = await import("../../src/clients/gateway");
    const other = services().gateways.sessions(parseGatewayId(SANDBOX_GATEWAY_ID));
    await waitFor(() => sandbox.arm.controls.runningOperation(SANDBOX_GATEWAY_ID), {
      message: "the other operation to occupy the gateway",
    });
    const refusedBefore = sandbox.arm.controls
      .operations(SANDBOX_GATEWAY_ID)
      .filter((o) => o.name === "virtualNetworkGateways.generateVpnProfile" && o.status === "Failed").length;
    try {
      const since = clock.now();
      const regenerated = regenerateAfterEvent();
      // Awaited below; a wait that fails first must not leave its failure unhandled.
      regenerated.catch(() => undefined);
      // The regenerator found the gateway busy and waits (15 s) on a durable timer: once the other operation is over,
      // the host clock moves to that timer instead of the test waiting it out.
      const fireAt = await waitFor(() => longTimerFireAt(since, 10_000), {
        message: "the regenerator to wait on a timer for the busy gateway",
        timeoutMs: 60_000,
      });
      await other;
      await waitFor(() => sandbox.arm.controls.runningOperation(SANDBOX_GATEWAY_ID) === undefined, {
        message: "the other operation to end",
      });
      clock.jump(Math.max(0, fireAt - clock.now()));
      const passes = await regenerated;
      expect(passes).toEqual([
        { outcome: "published", fingerprint: expect.any(String) as string, serverRootChanged: false },
      ]);
    } finally {
      sandbox.arm.controls.setOperationDurationMs(50);
      await other;
    }
    const refused = sandbox.arm.controls
      .operations(SANDBOX_GATEWAY_ID)
      .filter((o) => o.name === "virtualNetworkGateways.generateVpnProfile" && o.status === "Failed").length;
    expect(refused).toBeGreaterThan(refusedBefore);
    expect((await manifest()).changes).toEqual(["addressPools: +172.16.203.0/24 -172.16.202.0/24"]);
  });

  it("gives one generation for a burst of writes delivered at once", async () => {
    const generations = (): number => sandbox.arm.stats.operation("virtualNetworkGateways.generateVpnProfile").count;
    const before = generations();
    const pool = (await manifest()).config.addressPools.join(" -");
    editGateway((vpn) => {
      vpn["vpnClientAddressPool"] = { addressPrefixes: ["172.16.204.0/24"] };
    });
    // One Event Grid delivery of 20 events: the host runs the function for all of them at once.
    await notify(Array.from({ length: 20 }, () => writeSuccess(SANDBOX_GATEWAY_ID)));
    const done = await sandbox.waitForInstance(INSTANCE, 60_000);
    const passes = (done.output as RegeneratorOutput).passes;
    expect([passes.filter((p) => p.outcome === "published").length, generations() - before]).toEqual([1, 1]);
    expect((await manifest()).changes).toEqual([`addressPools: +172.16.204.0/24 -${pool}`]);
  });

  it("ignores and counts an event of another resource or of another type", async () => {
    const before = sandbox.durable.inspect(INSTANCE);
    const counted = (): number => [...ignoredGatewayEvents().values()].reduce((a, b) => a + b, 0);
    const ignoredBefore = counted();
    const other = `${SANDBOX_GATEWAY_ID.replace(/vgw-sandbox$/, "")}vgw-elsewhere`;
    await notify([
      writeSuccess(other),
      writeSuccess(SANDBOX_GATEWAY_ID, "Microsoft.Resources.ResourceDeleteSuccess"),
      writeSuccess(`${SANDBOX_GATEWAY_ID}/natRules/nat-1`),
    ]);
    expect(counted()).toBe(ignoredBefore + 3);
    expect(ignoredGatewayEvents().get("notConfigured")).toBeGreaterThanOrEqual(2);
    expect(sandbox.durable.inspect(INSTANCE)).toEqual(before);
    expect(sandbox.logs.some((l) => l.includes("gatewayEvents: ignored") && l.includes("vgw-elsewhere"))).toBe(true);
  });

  it("answers the manifest with a read-only link that works, then expires", async () => {
    const m = await manifest();
    const answer = await sandbox.api("GET", `/api/v1/gateways/${GATEWAY}/profile`);
    expect(answer.status).toBe(200);
    const body = answer.body as ProfileManifest & { url: string; expiresAt: string };
    expect(body).toMatchObject({ fingerprint: m.fingerprint, sha256: m.sha256, size: m.size, path: m.path });
    expect(body).not.toHaveProperty("config");
    const link = new URL(body.url);
    expect(link.protocol).toBe("https:");
    expect(link.searchParams.get("sp")).toBe("r");
    expect(link.searchParams.get("skoid")).not.toBeNull();
    expect(Date.parse(link.searchParams.get("se") ?? "")).toBe(Date.parse(body.expiresAt));
    const download = await binaryGet(body.url);
    expect(download.status).toBe(200);
    expect(createHash("sha256").update(download.body).digest("hex")).toBe(m.sha256);

    const expired = await waitFor(
      async () => {
        const again = await binaryGet(body.url);
        return again.status === 403 ? again : undefined;
      },
      { message: "the profile link to expire", timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(expired.status).toBe(403);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(body.expiresAt));
    expect((await sandbox.api("GET", "/api/v1/gateways/vgw-unknown/profile")).status).toBe(404);

    // Gateways.Read: no token 401, a token with every role but it 403.
    const path = `/api/v1/gateways/${GATEWAY}/profile`;
    expect((await sandbox.api("GET", path, undefined, null)).status).toBe(401);
    const { claims, sign } = sandbox.identity.controls;
    const others = APP_ROLES.filter((r) => r !== "Gateways.Read");
    const withoutRole = await sign(accessTokenPayload(claims({ roles: others, appDisplayName: "other-app" })));
    const refused = await sandbox.api("GET", path, undefined, withoutRole);
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain("sig=");
  });

  it("the weekly refresh finds Microsoft's new server root, publishes the package and alerts", async () => {
    const before = await manifest();
    sandbox.arm.controls.setServerRootCn(SANDBOX_GATEWAY_ID, "Microsoft RSA Root Certificate Authority 2017");
    const invoked = await fetch(`${sandbox.endpoints.host}/admin/functions/profileRefresh`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-functions-key": sandbox.endpoints.masterKey },
      body: JSON.stringify({ input: "" }),
    });
    expect(invoked.status).toBe(202);
    const alert = await waitFor(() => sandbox.logs.find((l) => l.includes("the VPN server root changed")), {
      message: "the server root alert",
      timeoutMs: 60_000,
    });
    expect(alert).toContain("users must re-import the profile");
    await sandbox.waitForInstance(INSTANCE, 60_000);
    const after = await manifest();
    expect(after.serverRoot.commonName).toBe("Microsoft RSA Root Certificate Authority 2017");
    expect(after.serverRoot.certificateSha256).not.toBe(before.serverRoot.certificateSha256);
    expect(after.configFingerprint).toBe(before.configFingerprint);
    expect(after.changes).toEqual([
      `serverRoot: ${before.serverRoot.commonName} -> Microsoft RSA Root Certificate Authority 2017`,
    ]);
    expect((await publishedPackage(after)).get("Generic/VpnSettings.xml")).toContain(
      "<ServerCertRootCn>Microsoft RSA Root Certificate Authority 2017</ServerCertRootCn>",
    );
    // PROFILE_VERSIONS_KEPT=2: the first package is gone, the one before this and this one are kept.
    expect(await versions()).toEqual([before.path, after.path].sort());
  });
});
