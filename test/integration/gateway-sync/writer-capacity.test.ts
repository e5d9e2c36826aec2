// Issue 14 acceptance: a gateway pushed past 300 desired revocations, through the real writer, the real ARM SDK and
// the ARM emulator. The writer never stops applying revocations: it writes the 300 entries that stay valid longest
// (the newest revocation among them, the operator's hand-added entries kept), raises one critical alert naming what
// it left off (the revocations that expire soonest, with their user and expiry) and the rotation that will clear
// them, and, with ROOT_ROTATION_AUTO on, that rotation starts by itself.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { CAPACITY_ACTOR } from "../../../src/activities/capacity-rotation";
import { loadDesiredGatewayState } from "../../../src/clients/desired-gateway-state";
import { keyVaultClients } from "../../../src/clients/keyvault";
import { RootRegistry } from "../../../src/clients/root-registry";
import { getConfig } from "../../../src/config";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { thumbprintOf } from "../../../src/domain/thumbprint";
import { revokedOn, startSyncSandbox, thumbprint } from "./sync-sandbox";
import type { SyncSandbox } from "./sync-sandbox";

const DAY = 86_400_000;

let s: SyncSandbox;

beforeAll(async () => {
  s = await startSyncSandbox({ settings: { ROOT_ROTATION_AUTO: "true" } });
});

afterAll(async () => {
  await s.stop();
});

const criticalAlerts = (): string[] =>
  s.sandbox.logs.filter((line) => line.includes("ALERT critical") && line.includes("do not fit on the gateway"));

interface GatewayView {
  readonly inSync: boolean;
  readonly revokedCount: number;
  readonly revocationsLeftOff: number;
  readonly pendingChanges: number;
  readonly error?: string;
}

it("writes the 300 longest-valid entries, alerts once naming those left off, and starts a rotation by itself", async () => {
  await s.settle();
  const onGatewayBefore = revokedOn(await s.read()).length;
  // An operator's own entries count against the gateway's 300 like the app's, and always stay.
  const handAdded = Array.from({ length: 6 }, (_, i) => ({ name: `hand-${i}`, thumbprint: thumbprint() }));
  await s.handEdit((revoked) => [...revoked, ...handAdded]);
  const room = 300 - onGatewayBefore - handAdded.length;
  const now = Date.now();
  // Five revocations of certificates that expire in ten days (they expire soonest: left off), the bulk in 30 days,
  // and the newest revocation last: a certificate issued lately, valid for 170 more days.
  const soonest = await s.revokeInLedger(5, { upn: "lost-laptop@contoso.com", notAfter: new Date(now + 10 * DAY) });
  const bulk = await s.revokeInLedger(room - 1, { notAfter: new Date(now + 30 * DAY) });
  const [newest] = await s.revokeInLedger(1, { upn: "newest@contoso.com", notAfter: new Date(now + 170 * DAY) });
  const alertsBefore = criticalAlerts().length;

  await s.reconcile();
  const writer = await s.settle();

  // The writer kept going: it is alive and in sync with what fits.
  expect(writer.runtimeStatus).toBe("Running");
  const after = await s.read();
  const onGateway = revokedOn(after);
  expect(after.state.revoked).toHaveLength(300);
  expect(onGateway).toContain(newest);
  expect(onGateway).toEqual(expect.arrayContaining(bulk));
  expect(after.state.revoked).toEqual(expect.arrayContaining(handAdded));
  for (const t of soonest) expect(onGateway).not.toContain(t);

  // One critical alert naming each left-off revocation with its user and expiry, and the rotation that clears them.
  const raised = criticalAlerts().slice(alertsBefore);
  expect(raised).toHaveLength(1);
  const alert = raised[0] ?? "";
  for (const t of soonest) expect(alert).toContain(`${t} (lost-laptop@contoso.com, expires `);
  // The capacity policy started a rotation (ROOT_ROTATION_AUTO): recorded as a request of kind rotation, audited,
  // and its orchestration exists; the alert names its request id.
  const accepted = (await s.ledger.listAudit("root")).filter(
    (e) => e.action === "rotation.accepted" && e.actor === CAPACITY_ACTOR,
  );
  expect(accepted).toHaveLength(1);
  const requestId = accepted[0]?.requestId ?? "";
  expect(accepted[0]?.source).toBe("capacity");
  expect(alert).toContain(`Root rotation ${requestId} was started by the capacity policy`);
  const request = await s.ledger.getRequest(requestId);
  expect(request).toMatchObject({ kind: "rotation", submittedBy: CAPACITY_ACTOR });
  expect(s.sandbox.durable.inspect(request?.instanceId ?? "")).toBeDefined();

  // The API says the gateway is not fully protected, and why; nothing is pending (what is left off cannot be).
  const [view] = (await s.sandbox.api("GET", "/api/v1/gateways")).body as GatewayView[];
  expect(view).toMatchObject({ inSync: false, revokedCount: 300, revocationsLeftOff: 5, pendingChanges: 0 });
  expect(view?.error).toContain("5 revocations do not fit");

  // Another pass with the same left-off set alerts no more, and starts no second rotation.
  await s.reconcile();
  expect((await s.settle()).runtimeStatus).toBe("Running");
  expect(criticalAlerts().slice(alertsBefore)).toHaveLength(1);
  const startedAgain = (await s.ledger.listAudit("root")).filter(
    (e) => e.action === "rotation.accepted" && e.actor === CAPACITY_ACTOR,
  );
  expect(startedAgain).toHaveLength(1);
  // Nor does it knock on the running rotation's door: no repeated request is audited.
  const repeated = (await s.ledger.listAudit("root")).filter((e) => e.action === "rotation.repeated");
  expect(repeated).toHaveLength(0);

  // A still newer revocation displaces the entry that expires soonest on the gateway, and the new set alerts again.
  const [newer] = await s.revokeInLedger(1, { upn: "newer@contoso.com", notAfter: new Date(now + 175 * DAY) });
  await s.reconcile();
  expect((await s.settle()).runtimeStatus).toBe("Running");
  const later = revokedOn(await s.read());
  expect(later).toHaveLength(300);
  expect(later).toContain(newer);
  expect(later).toContain(newest);
  expect(criticalAlerts().slice(alertsBefore)).toHaveLength(2);
});

it("reads only the trusted roots' revocations that can matter: rows read exclude expired and foreign ones", async () => {
  const config = getConfig();
  const deps = { ledger: s.ledger, keyVault: keyVaultClients(config), roots: RootRegistry.fromConfig(config) };
  // The app's root as the gateway holds it: the ledger's rootThumbprint of what it issued is this thumbprint.
  const appRoot = (await s.read()).state.roots.find((r) => r.name === config.CA_ROOT_NAME);
  const rootThumbprint = thumbprintOf(Buffer.from(appRoot?.publicCertData ?? "", "base64"));
  const now = new Date();
  const put = async (n: number, over: Partial<CertificateRecord>): Promise<string[]> => {
    const records = Array.from({ length: n }, (_, i): CertificateRecord => ({
      userKey: `scale-${i}@contoso.com`,
      upn: `scale-${i}@contoso.com`,
      certificateName: `p2s-scale-${Math.random().toString(36).slice(2)}`,
      status: "revoked",
      requestId: `S-${i}`,
      source: "api",
      sourceId: `S-${i}`,
      thumbprint: thumbprint(),
      rootThumbprint,
      notAfter: new Date(now.getTime() + 30 * DAY),
      revokedAt: now,
      updatedAt: now,
      ...over,
    }));
    for (let i = 0; i < records.length; i += 25) {
      await Promise.all(records.slice(i, i + 25).map((r) => s.ledger.putCertificate(r)));
    }
    return records.map((r) => r.thumbprint ?? "");
  };
  const before = await loadDesiredGatewayState(config, deps, now);
  // Certificates that expired long ago (past the prune lookback), and revocations of a root no gateway trusts.
  await put(120, { notAfter: new Date(now.getTime() - 200 * DAY) });
  const foreign = await put(80, { rootThumbprint: "F".repeat(40) });
  const trusted = await put(10, {});

  const state = await loadDesiredGatewayState(config, deps, now);
  // Exactly the ten new rows more: the 200 others are in the ledger but never read.
  expect(state.rowsRead).toBe((before.rowsRead ?? 0) + 10);
  expect(state.desired.revokedThumbprints).toEqual(expect.arrayContaining(trusted));
  expect(state.desired.revocationInfo?.[trusted[0] ?? ""]).toMatchObject({ rootThumbprint });
  expect((await s.ledger.listByStatus("revoked")).length).toBeGreaterThanOrEqual((state.rowsRead ?? 0) + 200);
  // The writer applies them: the gateway's root is the ledger's issuing root, so they are wanted and written.
  await s.reconcile();
  expect((await s.settle()).runtimeStatus).toBe("Running");
  const planned = revokedOn(await s.read());
  expect(planned).toHaveLength(300);
  // A revocation whose issuing root is on no gateway is never written (it protects nothing).
  expect(planned.filter((t) => foreign.includes(t))).toEqual([]);
});
