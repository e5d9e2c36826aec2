// Issue 8, as the real SDK meets the emulator: a PUT carrying an expired root is refused like Azure refuses it
// (VpnClientRootCertificateExpired), even a root that was trusted when it was added; RADIUS secrets are written but
// never read back, and a PUT that names a RADIUS server without its secret is refused, so a PUT built from a GET
// fails instead of silently losing RADIUS.
import { RestError } from "@azure/core-rest-pipeline";
import type { NetworkManagementClient, VirtualNetworkGateway } from "@azure/arm-network";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { buildP2sGateway, startArmEmulator } from "../../../dev/emulators/arm";
import type { ArmEmulator } from "../../../dev/emulators/arm";
import type { JsonObject } from "../../../dev/emulators/arm/json";
import {
  FAST_POLL,
  GATEWAY_ID,
  GATEWAY_NAME,
  RESOURCE_GROUP,
  RootCertificates,
  networkClient,
} from "./arm-test-support";

const DAY = 86_400_000;
const SECRET = "radius-shared-secret-1";

let ca: EmulatorCa;
let emulator: ArmEmulator;
let client: NetworkManagementClient;
let roots: RootCertificates;
let live: string;
let expired: string;

beforeAll(async () => {
  [ca, roots] = await Promise.all([createEmulatorCa(), RootCertificates.create()]);
  live = await roots.rsaRoot("live-root");
  expired = await roots.rsaRootValid("old-root", new Date(Date.now() - 400 * DAY), new Date(Date.now() - DAY));
  emulator = await startArmEmulator({ ca, operationDurationMs: 0 });
  client = networkClient(emulator.url, ca);
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(() => {
  emulator.controls.reset();
  emulator.controls.setOperationDurationMs(0);
});

async function putError(gateway: VirtualNetworkGateway): Promise<RestError> {
  const error = await client.virtualNetworkGateways
    .beginCreateOrUpdateAndWait(RESOURCE_GROUP, GATEWAY_NAME, gateway, FAST_POLL)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if (!(error instanceof RestError)) throw new Error(`expected a RestError, got ${String(error)}`);
  expect(emulator.controls.runningOperation(GATEWAY_ID)).toBeUndefined();
  return error;
}

function radiusGateway(): JsonObject {
  const gateway = buildP2sGateway({ id: GATEWAY_ID, rootCertificates: [{ name: "live", publicCertData: live }] });
  const vpn = (gateway["properties"] as JsonObject)["vpnClientConfiguration"] as JsonObject;
  vpn["vpnAuthenticationTypes"] = ["Certificate", "Radius"];
  vpn["radiusServers"] = [
    { radiusServerAddress: "10.2.0.6", radiusServerScore: 20, radiusServerSecret: SECRET },
    { radiusServerAddress: "10.2.0.7", radiusServerScore: 5, radiusServerSecret: SECRET },
  ];
  return gateway;
}

const storedVpn = (): JsonObject =>
  ((emulator.controls.storedGateway(GATEWAY_ID)?.["properties"] as JsonObject)["vpnClientConfiguration"] ??
    {}) as JsonObject;

describe("expired roots", () => {
  it("refuses a PUT that carries an expired root, even one that was already on the gateway", async () => {
    // Added when it was valid (seeding is not checked): the gateway holds it and answers reads as usual.
    emulator.controls.seedGateway(
      GATEWAY_ID,
      buildP2sGateway({
        id: GATEWAY_ID,
        rootCertificates: [
          { name: "live", publicCertData: live },
          { name: "old-root", publicCertData: expired },
        ],
      }),
    );
    const read = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(read.vpnClientConfiguration?.vpnClientRootCertificates?.map((r) => r.name)).toEqual(["live", "old-root"]);

    const error = await putError(read);
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("VpnClientRootCertificateExpired");
    expect(error.message).toBe(
      `Root certificate ${GATEWAY_ID}/vpnClientRootCertificates/old-root is expired. Please remove this certificate and retry.`,
    );
    expect((await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME)).etag).toBe(read.etag);

    // Without it the same object is accepted.
    const vpn = read.vpnClientConfiguration ?? {};
    const written = await client.virtualNetworkGateways.beginCreateOrUpdateAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      {
        ...read,
        vpnClientConfiguration: {
          ...vpn,
          vpnClientRootCertificates: vpn.vpnClientRootCertificates?.filter((r) => r.name !== "old-root"),
        },
      },
      FAST_POLL,
    );
    expect(written.vpnClientConfiguration?.vpnClientRootCertificates?.map((r) => r.name)).toEqual(["live"]);
  });
});

describe("RADIUS secrets", () => {
  it("are kept but never returned, by GET, list or the PUT's own answer", async () => {
    emulator.controls.seedGateway(GATEWAY_ID, radiusGateway());
    const read = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(read.vpnClientConfiguration?.radiusServers).toEqual([
      { radiusServerAddress: "10.2.0.6", radiusServerScore: 20 },
      { radiusServerAddress: "10.2.0.7", radiusServerScore: 5 },
    ]);
    const listed = [];
    for await (const g of client.virtualNetworkGateways.list(RESOURCE_GROUP)) listed.push(g);
    expect(JSON.stringify(listed)).not.toContain(SECRET);
    expect(JSON.stringify(emulator.controls.gateway(GATEWAY_ID))).not.toContain(SECRET);
    expect(storedVpn()["radiusServers"]).toEqual([
      { radiusServerAddress: "10.2.0.6", radiusServerScore: 20, radiusServerSecret: SECRET },
      { radiusServerAddress: "10.2.0.7", radiusServerScore: 5, radiusServerSecret: SECRET },
    ]);

    const vpn = read.vpnClientConfiguration ?? {};
    const withSecret: VirtualNetworkGateway = {
      ...read,
      vpnClientConfiguration: {
        ...vpn,
        radiusServers: vpn.radiusServers?.map((s) => ({ ...s, radiusServerSecret: "rotated-secret" })),
      },
    };
    const written = await client.virtualNetworkGateways.beginCreateOrUpdateAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      withSecret,
      FAST_POLL,
    );
    expect(JSON.stringify(written)).not.toContain("rotated-secret");
    expect((storedVpn()["radiusServers"] as JsonObject[]).map((s) => s["radiusServerSecret"])).toEqual([
      "rotated-secret",
      "rotated-secret",
    ]);
  });

  it("refuses a PUT built from a GET (RADIUS servers without their secret) and keeps the stored secret", async () => {
    emulator.controls.seedGateway(GATEWAY_ID, radiusGateway());
    const read = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    const error = await putError(read);
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("RadiusServerSecretRequired");
    expect((storedVpn()["radiusServers"] as JsonObject[])[0]?.["radiusServerSecret"]).toBe(SECRET);
  });

  it("refuses a single RADIUS server address without radiusServerSecret", async () => {
    const gateway = buildP2sGateway({ id: GATEWAY_ID, rootCertificates: [{ name: "live", publicCertData: live }] });
    const vpn = (gateway["properties"] as JsonObject)["vpnClientConfiguration"] as JsonObject;
    vpn["radiusServerAddress"] = "10.2.0.5";
    expect(() => emulator.controls.seedGateway(GATEWAY_ID, gateway)).toThrow(/RADIUS server secret is required/);
    vpn["radiusServerSecret"] = SECRET;
    emulator.controls.seedGateway(GATEWAY_ID, gateway);
    const read = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(read.vpnClientConfiguration?.radiusServerAddress).toBe("10.2.0.5");
    expect(read.vpnClientConfiguration?.radiusServerSecret).toBeUndefined();
    const error = await putError(read);
    expect(error.code).toBe("RadiusServerSecretRequired");
    expect(storedVpn()["radiusServerSecret"]).toBe(SECRET);
  });
});
