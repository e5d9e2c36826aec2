// Issue 5 acceptance, the race: revocations requested while the writer is finishing a write all reach the gateway
// without the periodic timer (which never fires here). The sweep offboards A, then B and C at instants placed against
// the writer's own work for A: around the end of A's PUT, and around the end of the session lookup after it, where
// the writer makes its last pass (ledger read, gateway read, in sync). The second test pins the interleaving that
// once lost a request: the mark lands after the writer's last ledger read, and the request reaches the writer while
// that pass is still running (a writer that then finished dropped it, while the requester had seen it running).
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { OPERATION_NAMES } from "../../../dev/emulators/arm";
import { revokedOn, startSyncSandbox } from "./sync-sandbox";
import type { SyncSandbox } from "./sync-sandbox";

const OPERATION_MS = 100;

type Anchor = typeof OPERATION_NAMES.put | typeof OPERATION_NAMES.getVpnclientConnectionHealth;

/** B and C are requested at the end of the anchor operation plus the offset (negative: before it ends). */
const ROUNDS: readonly { readonly anchor: Anchor; readonly offsetMs: number }[] = [
  ...[-60, 0, 30].map((offsetMs) => ({ anchor: OPERATION_NAMES.put, offsetMs })),
  ...[-90, -70, -50, -30, -10, 10, 40].map((offsetMs) => ({
    anchor: OPERATION_NAMES.getVpnclientConnectionHealth,
    offsetMs,
  })),
];

let s: SyncSandbox;

beforeAll(async () => {
  // With no quiet period (a valid setting), a writer that stops once in sync would stop right after its last pass:
  // the widest window for a request to be lost. The writer no longer stops, whatever the setting.
  s = await startSyncSandbox({ gatewayOperationMs: OPERATION_MS });
});

afterAll(async () => {
  await s.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for the anchor operation to occupy the gateway; returns when it ends (epoch ms). */
async function operationEnd(anchor: Anchor): Promise<number> {
  for (;;) {
    const running = s.sandbox.arm.controls.runningOperation(s.gatewayId);
    if (running?.name === anchor) return Date.parse(running.endsAt);
    await sleep(2);
  }
}

describe("revocations requested while the writer is finishing a write", () => {
  it("all reach the gateway, wherever the request falls", async () => {
    const missed: string[] = [];
    for (const [round, { anchor, offsetMs }] of ROUNDS.entries()) {
      await s.settle();
      const users = ["a", "b", "c"].map((u) => `${u}${round}@contoso.com`);
      const thumbprints = await Promise.all(users.map((upn) => s.activeInLedger(upn)));
      const [a, b, c] = users as [string, string, string];

      const first = await s.offboard(a, `RACE-${round}-A`);
      const end = await operationEnd(anchor);
      await sleep(Math.max(0, end + offsetMs - Date.now()));
      const later = await Promise.all([s.offboard(b, `RACE-${round}-B`), s.offboard(c, `RACE-${round}-C`)]);

      for (const id of [first, ...later]) expect((await s.sandbox.waitForInstance(id)).runtimeStatus).toBe("Completed");
      await s.settle();
      const on = revokedOn(await s.read());
      for (const [i, tp] of thumbprints.entries()) {
        if (!on.includes(tp)) missed.push(`round ${round} (${anchor} end ${offsetMs} ms): ${users[i] ?? ""}`);
      }
    }
    expect(missed).toEqual([]);
  });

  it("reaches the gateway when the request lands during the writer's last pass, after its ledger read", async () => {
    await s.settle();
    const [first, second] = ["first", "second"].map((u) => `${u}-hold@contoso.com`) as [string, string];
    const [tpFirst, tpSecond] = await Promise.all([s.activeInLedger(first), s.activeInLedger(second)]);

    const offboardFirst = await s.offboard(first, "HOLD-1");
    await operationEnd(OPERATION_NAMES.getVpnclientConnectionHealth);
    // The writer's next gateway read is its last pass's, after that pass's ledger read: hold it while the second user
    // is offboarded, so the mark misses the ledger read and the request reaches the writer in the middle of the pass.
    const held = s.sandbox.arm.faults.add({ operation: OPERATION_NAMES.get, latencyMs: 1500, count: 1 });
    while (s.sandbox.arm.faults.list().some((rule) => rule.id === held.id)) await sleep(2);
    const offboardSecond = await s.offboard(second, "HOLD-2");
    for (const id of [offboardFirst, offboardSecond]) {
      expect((await s.sandbox.waitForInstance(id)).runtimeStatus).toBe("Completed");
    }

    await s.settle();
    const on = revokedOn(await s.read());
    expect(on).toContain(tpFirst);
    expect(on).toContain(tpSecond);
  });
});
