// Gateway validation as the real SDK meets it: P2S limits (20 roots, 300 revoked), the revoked-certificate shape and
// SHA-1 thumbprint format, and root data that must be one-line Base64 DER of an RSA certificate. A refused PUT
// starts no operation and changes nothing.
import { RestError } from "@azure/core-rest-pipeline";
import type { NetworkManagementClient, VirtualNetworkGateway } from "@azure/arm-network";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
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

let ca: EmulatorCa;
let emulator: ArmEmulator;
let client: NetworkManagementClient;
let roots: RootCertificates;
let rootA: string;
let base: VirtualNetworkGateway;

beforeAll(async () => {
  [ca, roots] = await Promise.all([createEmulatorCa(), RootCertificates.create()]);
  rootA = await roots.rsaRoot("root-a");
  emulator = await startArmEmulator({ ca, operationDurationMs: 0, pollRetryAfterSeconds: null });
  client = networkClient(emulator.url, ca);
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(async () => {
  emulator.controls.reset();
  emulator.controls.setOperationDurationMs(0);
  emulator.controls.seedGateway(
    GATEWAY_ID,
    buildP2sGateway({ id: GATEWAY_ID, rootCertificates: [{ name: "root-a", publicCertData: rootA }] }),
  );
  base = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
});

function withCertificates(
  rootCertificates: { name: string; publicCertData: string }[] | undefined,
  revoked: { name: string; thumbprint: string }[] | undefined,
): VirtualNetworkGateway {
  const vpn = base.vpnClientConfiguration ?? {};
  return {
    ...base,
    vpnClientConfiguration: {
      ...vpn,
      vpnClientRootCertificates: rootCertificates ?? vpn.vpnClientRootCertificates,
      vpnClientRevokedCertificates: revoked ?? vpn.vpnClientRevokedCertificates,
    },
  };
}

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

const revokedList = (n: number): { name: string; thumbprint: string }[] =>
  Array.from({ length: n }, (_, i) => ({ name: `revoked-${i}`, thumbprint: thumbprint(i) }));

describe("revoked certificates", () => {
  it("accepts 300 and refuses 301 with a 400", async () => {
    const ok = await client.virtualNetworkGateways.beginCreateOrUpdateAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      withCertificates(undefined, revokedList(300)),
      FAST_POLL,
    );
    expect(ok.vpnClientConfiguration?.vpnClientRevokedCertificates).toHaveLength(300);

    const error = await putError(withCertificates(undefined, revokedList(301)));
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("VpnClientRevokedCertificatesLimitExceeded");
    const after = await client.virtualNetworkGateways.get(RESOURCE_GROUP, GATEWAY_NAME);
    expect(after.vpnClientConfiguration?.vpnClientRevokedCertificates).toHaveLength(300);
  });

  it.each([
    ["39 hex digits", "A".repeat(39)],
    ["spaces between bytes", "AB CD EF 01 23 45 67 89 AB CD EF 01 23 45 67 89 AB CD EF 01"],
    ["a SHA-256 thumbprint", "A".repeat(64)],
    ["non-hex characters", "G".repeat(40)],
  ])("refuses a thumbprint with %s", async (_label, bad) => {
    const error = await putError(withCertificates(undefined, [{ name: "bad", thumbprint: bad }]));
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("InvalidVpnClientRevokedCertificateThumbprint");
  });

  it("accepts lower-case thumbprints", async () => {
    const result = await client.virtualNetworkGateways.beginCreateOrUpdateAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      withCertificates(undefined, [{ name: "lower", thumbprint: "ab".repeat(20) }]),
      FAST_POLL,
    );
    expect(result.vpnClientConfiguration?.vpnClientRevokedCertificates?.[0]?.thumbprint).toBe("ab".repeat(20));
  });

  it("refuses a revoked entry whose thumbprint is not under properties (as templates get wrong)", async () => {
    const body = structuredClone(emulator.controls.gateway(GATEWAY_ID)) as Record<string, unknown>;
    const properties = body["properties"] as { vpnClientConfiguration: Record<string, unknown> };
    properties.vpnClientConfiguration["vpnClientRevokedCertificates"] = [{ name: "flat", thumbprint: thumbprint(7) }];
    const response = await rawRequest(ca, "PUT", gatewayUrl(emulator.url), body);
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({
      error: {
        code: "InvalidRequestFormat",
        target: "properties.vpnClientConfiguration.vpnClientRevokedCertificates[0].thumbprint",
      },
    });
  });

  it("refuses two revoked entries with the same name, whatever the case", async () => {
    const error = await putError(
      withCertificates(undefined, [
        { name: "Alice", thumbprint: thumbprint(1) },
        { name: "alice", thumbprint: thumbprint(2) },
      ]),
    );
    expect(error.code).toBe("DuplicateResourceName");
  });
});

describe("root certificates", () => {
  it("accepts 20 and refuses 21 with a 400", async () => {
    const many = await Promise.all(Array.from({ length: 21 }, (_, i) => roots.rsaRoot(`root-${i}`)));
    const list = many.map((publicCertData, i) => ({ name: `root-${i}`, publicCertData }));
    const ok = await client.virtualNetworkGateways.beginCreateOrUpdateAndWait(
      RESOURCE_GROUP,
      GATEWAY_NAME,
      withCertificates(list.slice(0, 20), undefined),
      FAST_POLL,
    );
    expect(ok.vpnClientConfiguration?.vpnClientRootCertificates).toHaveLength(20);

    const error = await putError(withCertificates(list, undefined));
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("VpnClientRootCertificatesLimitExceeded");
  });

  it("refuses PEM-armoured certificate data", async () => {
    const pem = await roots.rsaRootPem("root-pem");
    const error = await putError(withCertificates([{ name: "pem", publicCertData: pem }], undefined));
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("VpnClientRootCertificateDataInvalid");
    expect(error.message).toContain("PEM");
  });

  it("refuses Base64 split over several lines", async () => {
    const wrapped = (rootA.match(/.{1,64}/g) ?? []).join("\n");
    const error = await putError(withCertificates([{ name: "wrapped", publicCertData: wrapped }], undefined));
    expect(error.code).toBe("VpnClientRootCertificateDataInvalid");
  });

  it("refuses data that is not a certificate", async () => {
    const error = await putError(
      withCertificates(
        [{ name: "junk", publicCertData: Buffer.from("not a certificate").toString("base64") }],
        undefined,
      ),
    );
    expect(error.code).toBe("VpnClientRootCertificateDataInvalid");
  });

  it("refuses an ECDSA root: only RSA roots are supported", async () => {
    const ec = await roots.ecRoot("root-ec");
    const error = await putError(withCertificates([{ name: "ec", publicCertData: ec }], undefined));
    expect(error.code).toBe("VpnClientRootCertificateDataInvalid");
    expect(error.message).toContain("RSA");
  });

  it("refuses two roots with the same name", async () => {
    const error = await putError(
      withCertificates(
        [
          { name: "root", publicCertData: rootA },
          { name: "ROOT", publicCertData: rootA },
        ],
        undefined,
      ),
    );
    expect(error.code).toBe("DuplicateResourceName");
  });
});

it("requires a location", async () => {
  const error = await putError({ ...base, location: undefined });
  expect(error.code).toBe("LocationRequired");
});

it("refuses moving an existing gateway to another location", async () => {
  const error = await putError({ ...base, location: "northeurope" });
  expect(error.code).toBe("InvalidResourceLocation");
});

it("validates seeds like a PUT", () => {
  expect(() =>
    emulator.controls.seedGateway(
      GATEWAY_ID,
      buildP2sGateway({ id: GATEWAY_ID, revokedCertificates: [{ name: "x", thumbprint: "nope" }] }),
    ),
  ).toThrow(/SHA-1/);
});
