// P2S sessions and profiles through the real SDK: connection health lists the seeded sessions, disconnect ends only
// the named ones, generatevpnprofile returns a URL to a zip with AzureVPN/, Generic/ and OpenVPN/ folders, and
// getvpnprofilepackageurl returns the last URL. All four are long-running operations that occupy the gateway.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { RestError } from "@azure/core-rest-pipeline";
import type { NetworkManagementClient } from "@azure/arm-network";
import { createEmulatorCa, createVirtualClock } from "../../../dev/emulators/framework";
import type { EmulatorCa, VirtualClock } from "../../../dev/emulators/framework";
import { DEFAULT_SERVER_ROOT_CN, buildP2sGateway, startArmEmulator } from "../../../dev/emulators/arm";
import type { ArmEmulator } from "../../../dev/emulators/arm";
import {
  FAST_POLL,
  GATEWAY_ID,
  GATEWAY_NAME,
  RESOURCE_GROUP,
  RootCertificates,
  networkClient,
  rawRequest,
  readStoredZip,
} from "./arm-test-support";

let ca: EmulatorCa;
let clock: VirtualClock;
let emulator: ArmEmulator;
let client: NetworkManagementClient;
let rootA: string;

beforeAll(async () => {
  const [createdCa, roots] = await Promise.all([createEmulatorCa(), RootCertificates.create()]);
  ca = createdCa;
  rootA = await roots.rsaRoot("root-a");
  clock = createVirtualClock(Date.UTC(2025, 5, 1, 12, 0, 0));
  emulator = await startArmEmulator({ ca, clock, operationDurationMs: 0, pollRetryAfterSeconds: null });
  client = networkClient(emulator.url, ca);
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(() => {
  emulator.controls.reset();
  emulator.controls.setOperationDurationMs(0);
  emulator.controls.seedGateway(
    GATEWAY_ID,
    buildP2sGateway({
      id: GATEWAY_ID,
      addressPrefixes: ["192.168.210.0/24"],
      rootCertificates: [{ name: "root-a", publicCertData: rootA }],
    }),
  );
});

function health(): Promise<{ vpnConnectionId?: string; vpnUserName?: string }[]> {
  return client.virtualNetworkGateways
    .beginGetVpnclientConnectionHealthAndWait(RESOURCE_GROUP, GATEWAY_NAME, FAST_POLL)
    .then((result) => result.value ?? []);
}

describe("connection health", () => {
  it("lists every seeded session with its details", async () => {
    const connectedAt = new Date(clock.now() - 900_000);
    const alice = emulator.controls.connectSession(GATEWAY_ID, { vpnUserName: "alice@contoso.com", connectedAt });
    const bob = emulator.controls.connectSession(GATEWAY_ID, { vpnUserName: "bob@contoso.com", protocol: "OpenVPN" });

    const sessions = await client.virtualNetworkGateways.beginGetVpnclientConnectionHealthAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      FAST_POLL,
    );
    expect(alice).toMatch(/^IKEv2_[0-9a-f-]{36}$/);
    expect(bob).toMatch(/^OpenVPN_/);
    expect(sessions.value).toHaveLength(2);
    const first = sessions.value?.[0];
    expect(first).toMatchObject({
      vpnConnectionId: alice,
      vpnUserName: "alice@contoso.com",
      vpnConnectionDuration: 900,
      vpnConnectionTime: connectedAt.toISOString().slice(0, 19),
      privateIpAddress: "192.168.210.1",
    });
    expect(first?.publicIpAddress).toMatch(/^203\.0\.113\.\d+:\d+$/);
    for (const counter of [first?.maxBandwidth, first?.egressPacketsTransferred, first?.ingressBytesTransferred]) {
      expect(counter).toBeGreaterThan(0);
    }
    expect(sessions.value?.[1]?.privateIpAddress).toBe("192.168.210.2");
  });

  it("answers an empty list when nobody is connected", async () => {
    await expect(health()).resolves.toEqual([]);
  });
});

describe("disconnect", () => {
  it("ends only the named sessions and ignores unknown ids", async () => {
    const alice1 = emulator.controls.connectSession(GATEWAY_ID, { vpnUserName: "alice@contoso.com" });
    const alice2 = emulator.controls.connectSession(GATEWAY_ID, { vpnUserName: "alice@contoso.com" });
    const bob = emulator.controls.connectSession(GATEWAY_ID, { vpnUserName: "bob@contoso.com" });

    await client.virtualNetworkGateways.beginDisconnectVirtualNetworkGatewayVpnConnectionsAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      { vpnConnectionIds: [alice1, alice2, "IKEv2_00000000-0000-0000-0000-000000000000"] },
      FAST_POLL,
    );
    const remaining = await health();
    expect(remaining.map((s) => s.vpnConnectionId)).toEqual([bob]);
    expect(emulator.controls.sessions(GATEWAY_ID).map((s) => s["vpnUserName"])).toEqual(["bob@contoso.com"]);
  });

  it("keeps the sessions until the operation ends", async () => {
    emulator.controls.setOperationDurationMs(30_000);
    const alice = emulator.controls.connectSession(GATEWAY_ID, { vpnUserName: "alice@contoso.com" });
    const poller = await client.virtualNetworkGateways.beginDisconnectVirtualNetworkGatewayVpnConnections(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      { vpnConnectionIds: [alice] },
      FAST_POLL,
    );
    expect(emulator.controls.sessions(GATEWAY_ID)).toHaveLength(1);
    expect(emulator.controls.runningOperation(GATEWAY_ID)?.name).toBe(
      "virtualNetworkGateways.disconnectVirtualNetworkGatewayVpnConnections",
    );
    clock.advance(30_000);
    await poller.pollUntilDone();
    expect(emulator.controls.sessions(GATEWAY_ID)).toHaveLength(0);
  });

  it("refuses a body without vpnConnectionIds with a 400", async () => {
    const error = await client.virtualNetworkGateways
      .beginDisconnectVirtualNetworkGatewayVpnConnectionsAndWait(RESOURCE_GROUP, GATEWAY_NAME, {}, FAST_POLL)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).statusCode).toBe(400);
  });
});

describe("VPN profiles", () => {
  it("generates a profile URL whose zip carries the P2S settings and the server root CN", async () => {
    emulator.controls.setServerRootCn(GATEWAY_ID, "Contoso Gateway Root G3");
    // The SDK wraps string results: { body: url }.
    const { body: url } = await client.virtualNetworkGateways.beginGenerateVpnProfileAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      { authenticationMethod: "EAPTLS" },
      FAST_POLL,
    );
    expect(url.startsWith(`${emulator.controlUrl}/vpnprofiles/`)).toBe(true);

    const download = await rawRequest(ca, "GET", url, undefined, {}, true);
    expect(download.status).toBe(200);
    const files = readStoredZip(download.body);
    expect([...files.keys()].sort()).toEqual([
      "AzureVPN/azurevpnconfig.xml",
      "Generic/VpnSettings.xml",
      "OpenVPN/vpnconfig.ovpn",
    ]);
    expect(files.get("Generic/VpnSettings.xml")).toContain(
      "<ServerCertRootCn>Contoso Gateway Root G3</ServerCertRootCn>",
    );
    expect(files.get("Generic/VpnSettings.xml")).toContain("192.168.210.0/24");
    expect(files.get("OpenVPN/vpnconfig.ovpn")).toContain("$PRIVATEKEY");

    const again = await client.virtualNetworkGateways.beginGetVpnProfilePackageUrlAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      FAST_POLL,
    );
    expect(again.body).toBe(url);
  });

  it("reports the default server root and leaves out OpenVPN when the gateway does not offer it", async () => {
    emulator.controls.seedGateway(
      GATEWAY_ID,
      buildP2sGateway({ id: GATEWAY_ID, vpnClientProtocols: ["IkeV2"], rootCertificates: [] }),
    );
    const { body: url } = await client.virtualNetworkGateways.beginGenerateVpnProfileAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      {},
      FAST_POLL,
    );
    const files = readStoredZip((await rawRequest(ca, "GET", url, undefined, {}, true)).body);
    expect(files.has("OpenVPN/vpnconfig.ovpn")).toBe(false);
    expect(files.get("Generic/VpnSettings.xml")).toContain(
      `<ServerCertRootCn>${DEFAULT_SERVER_ROOT_CN}</ServerCertRootCn>`,
    );
  });

  it("hands out a package URL that expires after an hour, as a blob SAS link does", async () => {
    const { body: url } = await client.virtualNetworkGateways.beginGenerateVpnProfileAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      {},
      FAST_POLL,
    );
    expect(new URL(url).searchParams.get("se")).toBe(
      new Date(clock.now() + 60 * 60 * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    );
    clock.advance(60 * 60 * 1000 - 1);
    expect((await rawRequest(ca, "GET", url, undefined, {}, true)).status).toBe(200);
    clock.advance(1);
    const expired = await rawRequest(ca, "GET", url, undefined, {}, true);
    expect(expired.status).toBe(403);
    expect(expired.json()).toMatchObject({ error: { code: "AuthenticationFailed" } });
  });

  it("carries the server root as a real certificate, replaced when Microsoft migrates the gateway", async () => {
    const generate = async (): Promise<Map<string, string>> => {
      const { body: url } = await client.virtualNetworkGateways.beginGenerateVpnProfileAndWait(
        RESOURCE_GROUP,
        GATEWAY_NAME,
        {},
        FAST_POLL,
      );
      return readStoredZip((await rawRequest(ca, "GET", url, undefined, {}, true)).body);
    };
    const caCertOf = (files: Map<string, string>): x509.X509Certificate => {
      const match = /<CaCert>([A-Za-z0-9+/=]+)<\/CaCert>/.exec(files.get("Generic/VpnSettings.xml") ?? "");
      if (match?.[1] === undefined) throw new Error("no CaCert in Generic/VpnSettings.xml");
      return new x509.X509Certificate(Buffer.from(match[1], "base64"));
    };
    const before = caCertOf(await generate());
    expect(before.subject).toBe(`CN=${DEFAULT_SERVER_ROOT_CN}`);
    expect(caCertOf(await generate()).rawData).toEqual(before.rawData);

    emulator.controls.setServerRootCn(GATEWAY_ID, "Microsoft RSA Root Certificate Authority 2017");
    const after = caCertOf(await generate());
    expect(after.subject).toBe("CN=Microsoft RSA Root Certificate Authority 2017");
    expect(after.issuer).toBe(after.subject);
    expect(Buffer.from(after.rawData).equals(Buffer.from(before.rawData))).toBe(false);
  });

  it("derives the package from the gateway: custom routes, RADIUS addresses (no secret), Entra ID settings", async () => {
    const gateway = buildP2sGateway({ id: GATEWAY_ID, addressPrefixes: ["192.168.210.0/24"] });
    const properties = gateway["properties"] as { vpnClientConfiguration: object; customRoutes?: object };
    properties.customRoutes = { addressPrefixes: ["10.50.0.0/16"] };
    Object.assign(properties.vpnClientConfiguration, {
      vpnAuthenticationTypes: ["Certificate", "Radius", "AAD"],
      radiusServerAddress: "10.0.0.4",
      radiusServerSecret: "s3cret-radius-value",
      aadTenant: "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/",
      aadAudience: "41b23e61-6c1e-4545-b367-cd054e0ed4b4",
      aadIssuer: "https://sts.windows.net/11111111-2222-3333-4444-555555555555/",
    });
    emulator.controls.seedGateway(GATEWAY_ID, gateway);
    const { body: url } = await client.virtualNetworkGateways.beginGenerateVpnProfileAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      {},
      FAST_POLL,
    );
    const download = await rawRequest(ca, "GET", url, undefined, {}, true);
    const files = readStoredZip(download.body);
    const generic = files.get("Generic/VpnSettings.xml") ?? "";
    expect(generic).toContain("<Route>10.50.0.0/16</Route>");
    expect(generic).toContain("<Server>10.0.0.4</Server>");
    expect(files.get("AzureVPN/azurevpnconfig.xml")).toContain(
      "<audience>41b23e61-6c1e-4545-b367-cd054e0ed4b4</audience>",
    );
    expect(download.body.includes("s3cret-radius-value")).toBe(false);
    expect([...files.values()].some((text) => text.includes("s3cret-radius-value"))).toBe(false);
  });

  it("answers 404 for the package URL before any profile was generated", async () => {
    const error = await client.virtualNetworkGateways
      .beginGetVpnProfilePackageUrlAndWait(RESOURCE_GROUP, GATEWAY_NAME, FAST_POLL)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as RestError).statusCode).toBe(404);
  });
});
