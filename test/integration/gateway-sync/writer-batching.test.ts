// Issue 5 acceptance, through the app on the sandbox and the real @azure/arm-network client against the ARM
// emulator: the root uploaded once, N pending revocations in one write, drift repaired, expired entries pruned,
// sessions of revoked users ended and others left alone.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { revokedEntryName } from "../../../src/domain/gateway-config";
import { revokedOn, startSyncSandbox, thumbprint } from "./sync-sandbox";
import type { SyncSandbox } from "./sync-sandbox";

let s: SyncSandbox;

beforeAll(async () => {
  s = await startSyncSandbox();
});

afterAll(async () => {
  await s.stop();
});

describe("the gateway writer", () => {
  it("uploads the CA root once: the sandbox start wrote it, further runs write nothing", async () => {
    await s.settle();
    const roots = (await s.sandbox.api("GET", "/api/v1/roots")).body as { name: string; publicCertData: string }[];
    const root = roots[0];
    expect(root).toBeDefined();
    expect(s.writes()).toBe(1);

    for (let run = 0; run < 3; run++) {
      await s.reconcile();
      await s.settle();
    }
    expect(s.writes()).toBe(1);
    const onGateway = (await s.read()).state.roots;
    expect(onGateway.filter((r) => r.publicCertData === root?.publicCertData)).toHaveLength(1);
    expect(onGateway.filter((r) => r.name.toLowerCase() === root?.name.toLowerCase())).toHaveLength(1);
  });

  it("applies 50 revocations pending in the ledger in exactly one gateway write", async () => {
    await s.settle();
    const before = s.writes();
    const thumbprints = await s.revokeInLedger(50);

    await s.reconcile();
    await s.settle();

    expect(s.writes() - before).toBe(1);
    const on = revokedOn(await s.read());
    expect(on).toEqual(expect.arrayContaining(thumbprints));
    const gateways = (await s.sandbox.api("GET", "/api/v1/gateways")).body as {
      inSync: boolean;
      pendingChanges: number;
      revokedCount: number;
    }[];
    expect(gateways[0]).toMatchObject({ inSync: true, pendingChanges: 0, revokedCount: on.length });
  });

  it("repairs drift: a revocation removed by hand comes back on the next reconcile, hand entries kept", async () => {
    const [victim] = await s.revokeInLedger(1);
    await s.reconcile();
    await s.settle();
    expect(revokedOn(await s.read())).toContain(victim);

    const handAdded = thumbprint();
    await s.handEdit((revoked) => [
      ...revoked.filter((r) => r.thumbprint.toUpperCase() !== victim),
      { name: "added-by-hand", thumbprint: handAdded },
    ]);
    expect(revokedOn(await s.read())).not.toContain(victim);

    await s.reconcile();
    await s.settle();
    const after = await s.read();
    expect(revokedOn(after)).toEqual(expect.arrayContaining([victim, handAdded]));
    expect(after.state.revoked).toContainEqual({ name: "added-by-hand", thumbprint: handAdded });
  });

  it("prunes an app-owned revocation a day after its certificate expired, leaving hand-added entries", async () => {
    const [soon] = await s.revokeInLedger(1, { upn: "expiring@contoso.com" });
    const handAdded = thumbprint();
    await s.handEdit((revoked) => [...revoked, { name: "hand-kept", thumbprint: handAdded }]);
    await s.reconcile();
    await s.settle();
    expect(revokedOn(await s.read())).toEqual(expect.arrayContaining([soon, handAdded]));

    // The certificate's validity ends: its record keeps "revoked", with a notAfter in the past. The gateway judges
    // expiry by its own clock, so the entry stays until notAfter plus the margin (a day by default) has passed.
    const [record] = await s.ledger.findByThumbprint(soon ?? "");
    if (record === undefined) throw new Error("the revoked record is missing");
    await s.ledger.putCertificate({ ...record, notAfter: new Date(Date.now() - 1000), updatedAt: new Date() });
    await s.reconcile();
    await s.settle();
    expect(revokedOn(await s.read())).toContain(soon);

    const dayAndHourAgo = new Date(Date.now() - 25 * 60 * 60 * 1000);
    await s.ledger.putCertificate({ ...record, notAfter: dayAndHourAgo, updatedAt: new Date() });
    await s.reconcile();
    await s.settle();
    const after = await s.read();
    expect(revokedOn(after)).not.toContain(soon);
    expect(after.state.revoked).not.toContainEqual(expect.objectContaining({ name: revokedEntryName(soon ?? "") }));
    expect(after.state.revoked).toContainEqual({ name: "hand-kept", thumbprint: handAdded });
  });

  it("ends the live sessions of an offboarded user and leaves other users connected", async () => {
    const revokedTp = await s.activeInLedger("grace@contoso.com");
    await s.activeInLedger("linus@contoso.com");
    const grace1 = s.sandbox.arm.controls.connectSession(s.gatewayId, { vpnUserName: "grace@contoso.com" });
    const grace2 = s.sandbox.arm.controls.connectSession(s.gatewayId, {
      vpnUserName: "Grace@Contoso.com",
      protocol: "OpenVPN",
    });
    const linus = s.sandbox.arm.controls.connectSession(s.gatewayId, { vpnUserName: "linus@contoso.com" });
    expect([grace1, grace2, linus].every((id) => id.length > 0)).toBe(true);

    const offboarding = await s.offboard("grace@contoso.com", "LEAVER-GRACE");
    expect((await s.sandbox.waitForInstance(offboarding)).runtimeStatus).toBe("Completed");
    await s.settle();

    expect(revokedOn(await s.read())).toContain(revokedTp);
    const left = s.sandbox.arm.controls.sessions(s.gatewayId).map((session) => session["vpnConnectionId"]);
    expect(left).toEqual([linus]);
    const audit = await s.ledger.listAudit("grace@contoso.com");
    expect(audit.filter((a) => a.action === "session.disconnected").map((a) => a.details?.["vpnConnectionId"])).toEqual(
      expect.arrayContaining([grace1, grace2]),
    );
  });
});
