// Issue 8 acceptance: the writer trusts what exists on the gateway. A gateway holding an expired root added by hand
// and a RADIUS configuration (whose secret a GET never returns): without the secret in Key Vault the writer writes
// nothing, says so loudly (critical alert naming the gateway and the setting, outcome recorded) and keeps the
// revocations pending; once the secret is in Key Vault the revocations land, nothing of the RADIUS (or AAD) setup is
// lost, the expired root is removed with a warning naming it and an audit entry, and the secret appears nowhere.
// A revocation whose certificate expired an hour ago by our clock is still put on the gateway (pruning waits a day).
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { JsonObject } from "../../../dev/emulators/arm/json";
import { keyVaultClients } from "../../../src/clients/keyvault";
import { getConfig } from "../../../src/config";
import { revokedOn, startSyncSandbox } from "./sync-sandbox";
import type { SyncSandbox } from "./sync-sandbox";

const DAY = 86_400_000;
const SECRET = `radius-${randomBytes(12).toString("hex")}`;
const SECRET_SETTING = "radius-{gateway}";

let s: SyncSandbox;

beforeAll(async () => {
  s = await startSyncSandbox({ settings: { GATEWAY_RADIUS_SECRET_NAME: SECRET_SETTING } });
});

afterAll(async () => {
  await s.stop();
});

const alerts = (): string[] => s.sandbox.logs.filter((line) => line.includes("ALERT"));
const stored = (): JsonObject => s.sandbox.arm.controls.storedGateway(s.gatewayId) ?? {};
const vpnOf = (gateway: JsonObject): JsonObject =>
  ((gateway["properties"] as JsonObject)["vpnClientConfiguration"] ?? {}) as JsonObject;

/** A root that was valid for a year and expired yesterday, as an operator might have added long ago. */
async function expiredRoot(): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
    false,
    ["sign", "verify"],
  );
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(8).toString("hex")}`,
      name: "CN=Legacy Contractor Root",
      notBefore: new Date(Date.now() - 366 * DAY),
      notAfter: new Date(Date.now() - DAY),
      keys,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    },
    webcrypto,
  );
  return cert.toString("base64");
}

describe("a gateway with an expired hand-added root and RADIUS", () => {
  it("gets its revocations once the RADIUS secret is in Key Vault, losing nothing, and says what was done", async () => {
    await s.settle();
    // The gateway as an operator left it: an old root added by hand, RADIUS (with its secret) and AAD alongside
    // certificates, a custom IPsec policy.
    const gateway = stored();
    const vpn = vpnOf(gateway);
    vpn["vpnClientRootCertificates"] = [
      ...(vpn["vpnClientRootCertificates"] as JsonObject[]),
      { name: "legacy-contractor-root", properties: { publicCertData: await expiredRoot() } },
    ];
    vpn["vpnAuthenticationTypes"] = ["Certificate", "Radius", "AAD"];
    vpn["vpnClientProtocols"] = ["OpenVPN"];
    vpn["radiusServers"] = [
      { radiusServerAddress: "10.2.0.6", radiusServerScore: 20, radiusServerSecret: SECRET },
      { radiusServerAddress: "10.2.0.7", radiusServerScore: 5, radiusServerSecret: SECRET },
    ];
    vpn["aadTenant"] = "https://login.microsoftonline.com/0b6e1a43-0000-4000-8000-000000000001/";
    vpn["aadAudience"] = "c632b3df-fb67-4d84-bdcf-b95ad541b5c8";
    vpn["aadIssuer"] = "https://sts.windows.net/0b6e1a43-0000-4000-8000-000000000001/";
    vpn["vpnClientIpsecPolicies"] = [
      {
        saLifeTimeSeconds: 86472,
        saDataSizeKilobytes: 429497,
        ipsecEncryption: "AES256",
        ipsecIntegrity: "SHA256",
        ikeEncryption: "AES256",
        ikeIntegrity: "SHA384",
        dhGroup: "DHGroup24",
        pfsGroup: "PFS24",
      },
    ];
    s.sandbox.arm.controls.seedGateway(s.gatewayId, gateway);
    const seeded = structuredClone(vpnOf(stored()));
    const etagBefore = (await s.read()).etag;

    // 1. No secret in Key Vault yet: nothing is written, the writer says why, and the revocation stays pending.
    const [pending] = await s.revokeInLedger(1);
    let alertsBefore = alerts().length;
    await s.reconcile();
    const refused = await s.settle();
    expect(refused.runtimeStatus).toBe("Failed");
    expect(String(refused.output)).toContain("GATEWAY_RADIUS_SECRET_NAME");
    let raised = alerts().slice(alertsBefore).join("\n");
    expect(raised).toContain("ALERT critical: Gateway vgw-sandbox: revocations cannot be applied");
    expect(raised).toContain("gateway vgw-sandbox is configured with RADIUS (servers 10.2.0.6, 10.2.0.7)");
    expect(raised).toContain(
      "the Key Vault secret 'radius-vgw-sandbox' named by GATEWAY_RADIUS_SECRET_NAME was not found",
    );
    expect((await s.read()).etag).toBe(etagBefore);
    expect(revokedOn(await s.read())).not.toContain(pending);
    const [view] = (await s.sandbox.api("GET", "/api/v1/gateways")).body as {
      lastOutcome: string;
      pendingChanges: number;
    }[];
    expect(view).toMatchObject({ lastOutcome: "radiusSecret", pendingChanges: 1 });

    // 2. The operator stores the secret; the next request (and a certificate that expired an hour ago by our clock,
    // which the gateway may still accept) is applied.
    await keyVaultClients(getConfig()).secrets.setSecret("radius-vgw-sandbox", SECRET);
    const [recentlyExpired] = await s.revokeInLedger(1, {
      upn: "old@contoso.com",
      notAfter: new Date(Date.now() - 60 * 60 * 1000),
    });
    alertsBefore = alerts().length;
    await s.reconcile();
    expect((await s.settle()).runtimeStatus).toBe("Running");

    const after = await s.read();
    expect(revokedOn(after)).toEqual(expect.arrayContaining([pending, recentlyExpired]));
    expect(after.state.roots.map((r) => r.name)).not.toContain("legacy-contractor-root");
    expect(after.state.roots).toHaveLength(1);
    // Everything else in the P2S configuration is as it was, the RADIUS secrets included.
    const written = vpnOf(stored());
    for (const key of Object.keys(seeded)) {
      if (key === "vpnClientRootCertificates" || key === "vpnClientRevokedCertificates") continue;
      expect([key, written[key]]).toEqual([key, seeded[key]]);
    }
    expect(Object.keys(written).sort()).toEqual(Object.keys(seeded).sort());

    raised = alerts().slice(alertsBefore).join("\n");
    expect(raised).toContain("ALERT warning: Gateway vgw-sandbox: expired root certificates removed");
    expect(raised).toContain("legacy-contractor-root (expired ");
    const audit = await s.ledger.listAudit("gateway:vgw-sandbox");
    const removal = audit.find((a) => a.action === "gateway.expiredRootsRemoved");
    expect(removal?.reason).toContain("legacy-contractor-root");

    // The secret is nowhere but in the gateway: not in logs, alerts, durable history, the ledger or the API.
    expect(s.sandbox.logs.join("\n")).not.toContain(SECRET);
    expect(JSON.stringify(s.writer()?.history)).not.toContain(SECRET);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
    expect((await s.sandbox.api("GET", "/api/v1/gateways")).text).not.toContain(SECRET);
    expect(JSON.stringify(await s.ledger.getGatewaySync(s.gatewayId))).not.toContain(SECRET);
  });
});

describe("each rule on its own", () => {
  it("an expired root alone no longer blocks revocations: it is removed, with a warning naming it", async () => {
    await s.settle();
    const gateway = stored();
    const vpn = vpnOf(gateway);
    delete vpn["radiusServers"];
    vpn["vpnAuthenticationTypes"] = ["Certificate"];
    vpn["vpnClientRootCertificates"] = [
      ...(vpn["vpnClientRootCertificates"] as JsonObject[]),
      { name: "old-partner-root", properties: { publicCertData: await expiredRoot() } },
    ];
    s.sandbox.arm.controls.seedGateway(s.gatewayId, gateway);
    const [pending] = await s.revokeInLedger(1);
    const alertsBefore = alerts().length;

    await s.reconcile();
    expect((await s.settle()).runtimeStatus).toBe("Running");
    const after = await s.read();
    expect(revokedOn(after)).toContain(pending);
    expect(after.state.roots.map((r) => r.name)).not.toContain("old-partner-root");
    expect(alerts().slice(alertsBefore).join("\n")).toContain("old-partner-root (expired ");
  });

  it("a single RADIUS server keeps its secret through the write", async () => {
    await s.settle();
    await keyVaultClients(getConfig()).secrets.setSecret("radius-vgw-sandbox", SECRET);
    const gateway = stored();
    const vpn = vpnOf(gateway);
    vpn["vpnAuthenticationTypes"] = ["Certificate", "Radius"];
    // Only the app's root: this case stands on its own, whatever the one before left.
    const appRoot = getConfig().CA_ROOT_NAME;
    vpn["vpnClientRootCertificates"] = (vpn["vpnClientRootCertificates"] as JsonObject[]).filter(
      (r) => r["name"] === appRoot,
    );
    vpn["radiusServerAddress"] = "10.2.0.9";
    vpn["radiusServerSecret"] = SECRET;
    s.sandbox.arm.controls.seedGateway(s.gatewayId, gateway);
    const [pending] = await s.revokeInLedger(1);

    await s.reconcile();
    expect((await s.settle()).runtimeStatus).toBe("Running");
    expect(revokedOn(await s.read())).toContain(pending);
    expect(vpnOf(stored())).toMatchObject({ radiusServerAddress: "10.2.0.9", radiusServerSecret: SECRET });
    expect(s.sandbox.logs.join("\n")).not.toContain(SECRET);
  });
});
