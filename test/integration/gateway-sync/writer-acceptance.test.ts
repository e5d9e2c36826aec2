// Issue 8 acceptance, all at once on one gateway, with at-least-once delivery on (test/support/sandbox.ts): a gateway
// holding an expired hand-added root and a RADIUS configuration, and a hand edit racing the writer where If-Match is
// ignored. Revocations still land, nothing of the hand edit or the RADIUS setup is lost, alerts name what was done.
// The race is placed by emulator gates: operator B reads the gateway; the writer reads and writes (leaving out the
// expired root, putting the RADIUS secret back from Key Vault); between the end of that write and the writer's next
// read, B writes from its older read (cleaning up the expired root itself, as Azure refuses any PUT that carries it,
// and giving the RADIUS secret, as a GET never returns it). B's write lands over the writer's and drops its
// revocation; the writer puts it back.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { randomBytes } from "node:crypto";
import type { VirtualNetworkGateway } from "@azure/arm-network";
import type { JsonObject } from "../../../dev/emulators/arm/json";
import { GatewayClient } from "../../../src/clients/gateway";
import type { GatewaySnapshot } from "../../../src/clients/gateway";
import { keyVaultClients } from "../../../src/clients/keyvault";
import { getConfig } from "../../../src/config";
import { selfSignedRoot } from "./roots";
import { revokedOn, startSyncSandbox, thumbprint } from "./sync-sandbox";
import type { SyncSandbox } from "./sync-sandbox";

const SECRET = `radius-${randomBytes(12).toString("hex")}`;
const EXPIRED_ROOT = "legacy-contractor-root";

let s: SyncSandbox;
let operator: GatewayClient;

beforeAll(async () => {
  s = await startSyncSandbox({ settings: { GATEWAY_RADIUS_SECRET_NAME: "radius-{gateway}" } });
  operator = new GatewayClient(getConfig(), { pollIntervalMs: 10 });
  await keyVaultClients(getConfig()).secrets.setSecret("radius-vgw-sandbox", SECRET);
});

afterAll(async () => {
  await s.stop();
});

const alerts = (): string[] => s.sandbox.logs.filter((line) => line.includes("ALERT"));
const stored = (): JsonObject => s.sandbox.arm.controls.storedGateway(s.gatewayId) ?? {};
const vpnOf = (gateway: JsonObject): JsonObject =>
  ((gateway["properties"] as JsonObject)["vpnClientConfiguration"] ?? {}) as JsonObject;

/** The gateway as an operator left it long ago: an old root added by hand, RADIUS (two servers) and AAD. */
async function seedOperatorGateway(): Promise<void> {
  const gateway = stored();
  const vpn = vpnOf(gateway);
  vpn["vpnClientRootCertificates"] = [
    ...(vpn["vpnClientRootCertificates"] as JsonObject[]),
    { name: EXPIRED_ROOT, properties: { publicCertData: await selfSignedRoot("CN=Legacy Contractor Root", -1) } },
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
  s.sandbox.arm.controls.seedGateway(s.gatewayId, gateway);
}

/**
 * Operator B's edit from an older read: the expired root left out (Azure refuses a PUT that carries it), a revocation
 * of their own added, the RADIUS secret given again (a GET never returns it).
 */
async function operatorEdit(from: GatewaySnapshot, add: { name: string; thumbprint: string }): Promise<void> {
  const vpn = from.gateway.vpnClientConfiguration ?? {};
  const gateway: VirtualNetworkGateway = {
    ...from.gateway,
    vpnClientConfiguration: {
      ...vpn,
      radiusServers: (vpn.radiusServers ?? []).map((r) => ({ ...r, radiusServerSecret: SECRET })),
    },
  };
  const roots = from.state.roots.filter((r) => r.name !== EXPIRED_ROOT);
  await operator.write(s.ref, { ...from, gateway }, { roots, revoked: [...from.state.revoked, add] });
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 10_000; !(await check());) {
    if (Date.now() > deadline) throw new Error(`${what}: not so after 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("issue 8: expired hand-added root, RADIUS and a hand edit racing the writer, If-Match ignored", () => {
  it("lands the revocations, loses nothing of the hand edit or the RADIUS setup, and names what was done", async () => {
    await s.settle();
    s.sandbox.arm.controls.setIfMatchMode("ignored");
    await seedOperatorGateway();
    const seeded = structuredClone(vpnOf(stored()));
    const byB = { name: "hand-b", thumbprint: thumbprint() };
    const alertsBefore = alerts().length;
    const writesBefore = s.appliedWrites();
    const auditBefore = (await s.audit()).length;

    // B reads first (the expired root still there); then revocations reach the ledger and the writer runs.
    const staleForB = await operator.read(s.ref);
    const revocations = await s.revokeInLedger(2, { upn: "leaver@contoso.com" });
    const gates = s.sandbox.arm.controls;
    const writerPut = gates.holdNext(s.gatewayId, "put");
    await s.reconcile();
    await writerPut.reached;
    // The writer has read the gateway and its PUT is here. Hold the next gateway read, then let the write go.
    const nextRead = gates.holdNext(s.gatewayId, "get");
    writerPut.release();
    await nextRead.reached;
    await until("the writer's write has ended", async () => {
      const now = await s.read();
      return now.provisioningState === "Succeeded" && revocations.every((t) => revokedOn(now).includes(t));
    });
    expect((await s.read()).state.roots.map((r) => r.name)).not.toContain(EXPIRED_ROOT);
    // B's write from its older read lands now, over the writer's (If-Match ignored): the revocations are gone.
    await operatorEdit(staleForB, byB);
    expect(revokedOn(await s.read())).not.toEqual(expect.arrayContaining(revocations));
    nextRead.release();

    const writer = await s.settle();
    expect(writer.runtimeStatus).toBe("Running");
    const after = await s.read();
    // The revocations landed again; B's edit (its revocation, the expired root gone) stands; the app's root stays.
    expect(revokedOn(after)).toEqual(expect.arrayContaining(revocations));
    expect(after.state.revoked).toContainEqual(byB);
    expect(after.state.roots.map((r) => r.name)).toEqual([getConfig().CA_ROOT_NAME]);
    // Everything else in the P2S configuration is as it was, the RADIUS secrets included.
    const written = vpnOf(stored());
    for (const key of Object.keys(seeded)) {
      if (key === "vpnClientRootCertificates" || key === "vpnClientRevokedCertificates") continue;
      expect([key, written[key]]).toEqual([key, seeded[key]]);
    }
    expect(Object.keys(written).sort()).toEqual(Object.keys(seeded).sort());

    // Alerts name what was done: the expired root left out, by name; nothing critical.
    const raised = alerts().slice(alertsBefore).join("\n");
    expect(raised).toContain("ALERT warning: Gateway vgw-sandbox: expired root certificates removed");
    expect(raised).toContain(`${EXPIRED_ROOT} (expired `);
    expect(raised).not.toContain("ALERT critical");
    // The audit holds every write made (B's aside), whichever execution sent it, and the removal of the root.
    const audit = (await s.audit()).slice(auditBefore);
    const writerWrites = s.appliedWrites() - writesBefore - 1;
    expect(writerWrites).toBeGreaterThanOrEqual(2);
    expect(audit.filter((a) => a.action === "gateway.written")).toHaveLength(writerWrites);
    const removal = audit.filter((a) => a.action === "gateway.expiredRootsRemoved");
    expect(removal).toHaveLength(1);
    expect(removal[0]?.reason).toContain(EXPIRED_ROOT);
    // The RADIUS secret is nowhere but in the gateway.
    expect(s.sandbox.logs.join("\n")).not.toContain(SECRET);
    expect(JSON.stringify(writer.history)).not.toContain(SECRET);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });
});
