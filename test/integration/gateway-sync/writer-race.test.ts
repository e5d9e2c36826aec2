// Issue 5 acceptance, the race: revocations requested while the writer is finishing a write all reach the gateway
// without the periodic timer (which never fires here). Each round offboards A, holds the writer at one point of its
// work for A, offboards B and C there (both offboardings complete while the writer is held), then lets the writer on.
// The points are placed by emulator gates (a GET or PUT held before the gateway handles it) and by operations that
// run until the test ends them (the ARM emulator's clock jumps past them), never by timing. At every point the marks
// land after the writer's ledger read for A, and the requests reach a writer that is running, not waiting; from the
// last pass's gateway read on (after its last ledger read) a writer that finished once in sync would drop them.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { OPERATION_NAMES } from "../../../dev/emulators/arm";
import type { RequestGate } from "../../../dev/emulators/arm";
import { SteerableClock } from "../../support/steerable-clock";
import { waitFor, within } from "../../support/wait";
import { revokedOn, startSyncSandbox } from "./sync-sandbox";
import type { SyncSandbox } from "./sync-sandbox";

const OPERATION_MS = 100;
/**
 * An operation the test ends on cue: far longer than any round, so it is still running when the test checks, and
 * well under the emulator's one-hour retention of ended operations, which a jump past it must not outrun.
 */
const UNTIL_ENDED_MS = 10 * 60_000;
const GATE_TIMEOUT_MS = 20_000;

const clock = new SteerableClock();
let s: SyncSandbox;

beforeAll(async () => {
  // Exactly-once delivery: a repeated activity would add gateway reads and writes that the gates cannot tell from
  // the writer's own. Repeated deliveries are covered by the other writer tests, which keep at-least-once on.
  s = await startSyncSandbox({ gatewayOperationMs: OPERATION_MS, armClock: clock, atLeastOnce: undefined });
});

afterAll(async () => {
  await s.stop();
});

afterEach(() => {
  // A round that failed half-way leaves no long operation behind for the next.
  controls().setOperationDurationMs(OPERATION_MS);
  endOperation();
});

interface WriterStatus {
  readonly pass?: number;
  readonly state?: string;
}

const status = (): WriterStatus => s.writer()?.customStatus ?? {};
const controls = (): typeof s.sandbox.arm.controls => s.sandbox.arm.controls;
const running = (): string | undefined => controls().runningOperation(s.gatewayId)?.name;

/** The writer held at one point of its work for A: `held` says (and checks) it still is, `release` lets it on. */
interface HeldWriter {
  readonly held: () => void;
  readonly release: () => void;
}

/** Holds the next gateway GET that matches; GETs that do not match go on. */
async function holdRead(what: string, matches: () => boolean): Promise<RequestGate> {
  let gate = controls().holdNext(s.gatewayId, "get");
  for (let reads = 0; reads < 50; reads++) {
    await within(gate.reached, { timeoutMs: GATE_TIMEOUT_MS, message: `a gateway read ${what}` });
    if (matches()) return gate;
    const passed = gate;
    gate = controls().holdNext(s.gatewayId, "get");
    passed.release();
  }
  gate.release();
  throw new Error(`50 gateway reads went by without one ${what}; writer: ${JSON.stringify(status())}`);
}

/** Waits until `name` occupies the gateway (started with a duration the test ends). */
async function untilRunning(name: string, what: string): Promise<void> {
  await waitFor(() => running() === name, { timeoutMs: GATE_TIMEOUT_MS, message: what });
  controls().setOperationDurationMs(OPERATION_MS);
}

/** Ends the running operation now. */
function endOperation(): void {
  const operation = controls().runningOperation(s.gatewayId);
  if (operation !== undefined) clock.jumpTo(Date.parse(operation.endsAt));
}

/** The next operation on the gateway runs until the test ends it. */
function nextOperationRunsUntilEnded(): void {
  controls().setOperationDurationMs(UNTIL_ENDED_MS);
}

/** Lets the writer's PUT for A reach the gateway (held, then released at once): what follows is after the PUT. */
async function pastWritePut(): Promise<void> {
  const put = controls().holdNext(s.gatewayId, "put");
  await within(put.reached, { timeoutMs: GATE_TIMEOUT_MS, message: "the writer's PUT for A" });
  put.release();
}

/** The read that verifies the write for A: the write has ended, the writer follows it. */
const verifyingRead = (): boolean => status().state === "writing" && running() === undefined;
/** The gateway read of the pass after the write for A, which comes after that pass's ledger read. */
const lastPassRead = (): boolean => status().pass === 2 && status().state === "reading";

interface Point {
  readonly name: string;
  /** Set before A is offboarded (gates must be in place before the writer gets there). */
  readonly before?: () => void;
  /** After A is offboarded: returns once the writer is held at the point. */
  readonly reach: () => Promise<HeldWriter>;
  /** B and C, marked before the writer's next ledger read, go in one write. */
  readonly coalesced: boolean;
}

const POINTS: readonly Point[] = [
  {
    name: "its PUT for A sent, not yet taken by the gateway",
    coalesced: true,
    reach: async () => {
      const put = controls().holdNext(s.gatewayId, "put");
      await within(put.reached, { timeoutMs: GATE_TIMEOUT_MS, message: "the writer's PUT for A" });
      return {
        held: () => {
          expect(running()).toBeUndefined();
        },
        release: put.release,
      };
    },
  },
  {
    name: "its PUT for A running on the gateway (Updating)",
    coalesced: true,
    before: nextOperationRunsUntilEnded,
    reach: async () => {
      await untilRunning(OPERATION_NAMES.put, "the writer's PUT for A to run on the gateway");
      return {
        held: () => {
          expect(running()).toBe(OPERATION_NAMES.put);
        },
        release: endOperation,
      };
    },
  },
  {
    name: "its write for A ended, the verifying read held",
    coalesced: true,
    reach: async () => {
      await pastWritePut();
      const read = await holdRead("verifying the write for A", verifyingRead);
      return {
        held: () => {
          expect(verifyingRead()).toBe(true);
        },
        release: read.release,
      };
    },
  },
  {
    name: "the session lookup after its write for A running",
    coalesced: true,
    reach: async () => {
      await pastWritePut();
      const read = await holdRead("verifying the write for A", verifyingRead);
      nextOperationRunsUntilEnded();
      read.release();
      await untilRunning(OPERATION_NAMES.getVpnclientConnectionHealth, "the session lookup after the write for A");
      return {
        held: () => {
          expect(running()).toBe(OPERATION_NAMES.getVpnclientConnectionHealth);
        },
        release: endOperation,
      };
    },
  },
  {
    name: "its last pass's gateway read held, after that pass's ledger read",
    coalesced: true,
    reach: async () => {
      await pastWritePut();
      const read = await holdRead("of the pass after the write for A", lastPassRead);
      return {
        held: () => {
          expect(lastPassRead()).toBe(true);
        },
        release: read.release,
      };
    },
  },
  {
    name: "asleep again after A, in sync",
    // B wakes it at once (no coalescing window here): C may or may not make the same write.
    coalesced: false,
    reach: async () => {
      await s.settle();
      expect(status().state).toBe("waiting");
      // Nothing holds it: B's request wakes it.
      return { held: () => undefined, release: () => undefined };
    },
  },
];

/** Revocations added by each write the writer audited since `since` (ids seen before), in order. */
async function addedPerWrite(seen: ReadonlySet<string>): Promise<number[]> {
  const audit = await s.ledger.listAudit(`gateway:${s.ref.name.toLowerCase()}`);
  return audit
    .filter((a) => a.action === "gateway.written" && !seen.has(a.id))
    .sort((x, y) => x.at.getTime() - y.at.getTime())
    .map((a) => Number(a.details?.["added"]));
}

async function auditIds(): Promise<Set<string>> {
  return new Set((await s.ledger.listAudit(`gateway:${s.ref.name.toLowerCase()}`)).map((a) => a.id));
}

describe("revocations requested while the writer is finishing a write for another", () => {
  it.each(POINTS.map((point, round) => [point.name, point, round] as const))(
    "all reach the gateway when requested with the writer at: %s",
    async (_name, point, round) => {
      await s.settle();
      const seen = await auditIds();
      const [a, b, c] = ["a", "b", "c"].map((u) => `${u}${round}@contoso.com`) as [string, string, string];
      const thumbprints = await Promise.all([a, b, c].map((upn) => s.activeInLedger(upn)));

      point.before?.();
      const first = await s.offboard(a, `RACE-${round}-A`);
      const writer = await point.reach();
      const later = await Promise.all([s.offboard(b, `RACE-${round}-B`), s.offboard(c, `RACE-${round}-C`)]);
      // B and C are marked and their requests have reached the writer, which is still where it was held.
      for (const id of later) expect((await s.sandbox.waitForInstance(id)).runtimeStatus).toBe("Completed");
      writer.held();
      writer.release();

      expect((await s.sandbox.waitForInstance(first)).runtimeStatus).toBe("Completed");
      const settled = await s.settle();
      expect(settled.runtimeStatus).toBe("Running");
      expect(revokedOn(await s.read())).toEqual(expect.arrayContaining(thumbprints));
      if (point.coalesced) expect(await addedPerWrite(seen)).toEqual([1, 2]);
    },
  );
});
