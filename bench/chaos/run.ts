// One chaos run on a sandbox of its own: the planned requests sent through every way in, users' requests one after
// another and different users' at once, with the faults on; then the faults off, the safety nets run (gateway and
// Entra reconcile), the clock moved past the deliveries' waits, and the invariants checked on what the stores hold.
import { QueueClient } from "@azure/storage-queue";
import type { LocalDurableBackend } from "../../dev/durable";
import { startSandbox } from "../../dev/sandbox/sandbox";
import type { Sandbox } from "../../dev/sandbox/sandbox";
import { gatewayWriterInstanceId } from "../../src/domain/gateway-writer-id";
import { DeliveryCollector } from "./collector";
import { ChaosFaults } from "./faults";
import { SandboxApi } from "./http";
import { diagnose } from "./diagnosis";
import { checkAll } from "./invariants";
import type { InvariantResult } from "./invariants";
import { JumpClock } from "./jump-clock";
import { DEFAULT_RATES, ROOT_ROTATION, planRequests, rotationsToCancel } from "./plan";
import type { FaultRates, PlannedRequest, UserState } from "./plan";
import { REQUEST_ORCHESTRATIONS, takeSnapshot } from "./snapshot";
import { WAYS } from "./ways-in";
import type { WayContext, WayOutcome } from "./ways-in";

export interface ChaosOptions {
  readonly seed: number;
  readonly requests: number;
  /** Users the requests are spread over (default requests / 4, at least 8). */
  readonly users?: number;
  /** Requests in flight at once (different users). Default 6. */
  readonly concurrency?: number;
  readonly rates?: FaultRates;
  /** How long the driver follows one request before the user's next (default 90 s). */
  readonly followMs?: number;
  /** Where the sandbox keeps its files. */
  readonly dir: string;
  /** Loads the app (jest); default dist/src/index.js. */
  readonly appEntry?: string | (() => unknown);
  /**
   * A storage account others use too (the test run's Azurite): the sandbox names its tables and containers apart, and
   * only those are scanned. Default: an Azurite of the run's own.
   */
  readonly storageConnectionString?: string;
  /** Progress lines. */
  readonly progress?: (line: string) => void;
}

export interface ChaosReport {
  readonly seed: number;
  readonly requests: number;
  readonly users: number;
  readonly durationMs: number;
  /** Per way in: sent, accepted, refused (with the refusals' reasons counted), not seen through in time. */
  readonly ways: Record<string, { sent: number; accepted: number; refused: number; unsettled: number }>;
  readonly refusals: Record<string, number>;
  readonly faults: Record<string, number>;
  readonly requestEnds: Record<string, number>;
  readonly undeliverable: number;
  readonly invariants: readonly InvariantResult[];
  readonly passed: boolean;
  /** When an invariant failed: the durable histories and log lines about each user it names. */
  readonly diagnosis?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const MINUTE = 60_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const progress = options.progress ?? (() => undefined);
  const started = performance.now();
  const userCount = options.users ?? Math.max(8, Math.floor(options.requests / 4));
  const runId = options.seed.toString(36);
  const users = Array.from({ length: userCount }, (_, i) => `chaos-${runId}-${String(i).padStart(3, "0")}@contoso.com`);
  const plan = planRequests(options.seed, options.requests, users);
  const logs: string[] = [];
  const clock = new JumpClock((error) => logs.push(`clock callback failed: ${String(error)}`));
  const sandbox = await startSandbox({
    port: 0,
    dir: options.dir,
    rootKeySize: 2048,
    clock,
    entraEvents: true,
    storageFaultSeed: options.seed,
    gatewayOperationMs: 1000,
    gatewayRetryAfterSeconds: null,
    ...(options.appEntry === undefined ? {} : { appEntry: options.appEntry }),
    ...(options.storageConnectionString === undefined
      ? {}
      : { storageConnectionString: options.storageConnectionString }),
    log: (line) => logs.push(line),
    settings: {
      // The run's end calls the safety nets itself; during the run they would only blur who repaired what.
      GATEWAY_RECONCILE_SCHEDULE: "0 0 0 1 1 *",
      ENTRA_RECONCILE_SCHEDULE: "0 0 0 1 1 *",
      AzureFunctionsJobHost__extensions__queues__maxPollingInterval: "00:00:00.500",
      GRAPH_THROTTLE_MAX_WAIT_MS: "5000",
      // A rotation's grace of 36 minutes: the users seldom collect every reissued certificate, and the run's end moves
      // the clock past it. Quick polls, and a gateway deadline longer than the end's long jump (73 h).
      ROOT_ROTATION_GRACE_DAYS: "0.025",
      ROOT_ROTATION_POLL_SECONDS: "2",
      ROOT_ROTATION_COLLECTION_CHECK_MINUTES: "4",
      ROOT_ROTATION_GATEWAY_DEADLINE_HOURS: "96",
      ROOT_ROTATION_BATCH_SIZE: "10",
      // Past a gateway's 300 revocations only a rotation keeps every revocation on it (it retires the root, and the
      // revocations it issued with it); with this off the app can only alert. A 400-request run can get there.
      ROOT_ROTATION_AUTO: "true",
    },
  });
  try {
    return await drive(sandbox, { options, plan, users, logs, clock, runId, started, progress });
  } catch (error) {
    process.stderr.write(`${logs.slice(-60).join("\n")}\n`);
    throw error;
  } finally {
    await sandbox.stop();
  }
}

interface DriveState {
  readonly options: ChaosOptions;
  readonly plan: readonly PlannedRequest[];
  readonly users: readonly string[];
  readonly logs: string[];
  readonly clock: JumpClock;
  readonly runId: string;
  readonly started: number;
  readonly progress: (line: string) => void;
}

async function drive(sandbox: Sandbox, run: DriveState): Promise<ChaosReport> {
  const { options, plan, progress } = run;
  const durable = sandbox.host.durable as LocalDurableBackend | undefined;
  if (durable === undefined) throw new Error("the sandbox host has no durable backend");
  const api = new SandboxApi(sandbox);
  const storage = options.storageConnectionString ?? sandbox.azurite?.connectionString ?? "";
  // Enabled accounts outside the VPN group: each user's first onboarding adds them, as a joiner process would.
  for (const upn of run.users) await api.directory({ upn, member: false, accountEnabled: true });
  const collector = new DeliveryCollector(api, durable, (line) => run.logs.push(line));
  let occurred = Date.now() - 3_600_000;
  const ctx: WayContext = {
    api,
    hrQueue: new QueueClient(storage, sandbox.endpoints.hrEventsQueue),
    collector,
    runId: run.runId,
    followMs: options.followMs ?? 90_000,
    cancelRotations: rotationsToCancel(options.seed, plan),
    occurredAt: () => new Date((occurred += 1000)).toISOString(),
  };
  const faults = new ChaosFaults(sandbox, durable, options.seed, options.rates ?? DEFAULT_RATES);
  const ways: ChaosReport["ways"] = {};
  const refusals: Record<string, number> = {};
  const lastAccepted = new Map<string, UserState>();

  collector.start();
  faults.start();
  progress(
    `chaos: seed ${String(options.seed)}, ${String(plan.length)} requests over ${String(run.users.length)} users, faults on`,
  );
  const pending = [...plan];
  const busy = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  let done = 0;
  const send = async (planned: PlannedRequest): Promise<void> => {
    const way = WAYS[planned.entry.name];
    const tally = (ways[planned.entry.name] ??= { sent: 0, accepted: 0, refused: 0, unsettled: 0 });
    tally.sent += 1;
    let outcome: WayOutcome;
    try {
      if (way === undefined) throw new Error(`no way in named ${planned.entry.name}`);
      outcome = await way(ctx, planned);
    } catch (error) {
      outcome = {
        accepted: false,
        detail: `error ${error instanceof Error ? error.message : String(error)}`,
        settled: true,
      };
    }
    if (outcome.accepted) {
      tally.accepted += 1;
      if (planned.entry.leaves !== undefined) lastAccepted.set(planned.user, planned.entry.leaves);
    } else {
      tally.refused += 1;
      const reason = `${planned.entry.name}: ${outcome.detail.replace(/[0-9a-f]{32}|chaos-\S+@contoso\.com/g, "…").slice(0, 90)}`;
      refusals[reason] = (refusals[reason] ?? 0) + 1;
    }
    if (!outcome.settled) tally.unsettled += 1;
    if (planned.entry.name === ROOT_ROTATION)
      progress(`chaos: root rotation (request ${String(planned.index)}): ${outcome.detail}`);
    done += 1;
    if (done % 25 === 0) progress(`chaos: ${String(done)}/${String(plan.length)} requests sent`);
  };
  const concurrency = options.concurrency ?? 6;
  while (pending.length > 0 || inFlight.size > 0) {
    // A request about no one user (a root rotation) waits for the one before it: a start would join a rotation still
    // being cancelled.
    const lockOf = (p: PlannedRequest): string => (p.entry.appliesTo === "any" ? p.entry.name : p.user);
    const index = pending.findIndex((p) => !busy.has(lockOf(p)));
    if (index >= 0 && inFlight.size < concurrency) {
      const [planned] = pending.splice(index, 1);
      if (planned === undefined) continue;
      busy.add(lockOf(planned));
      faults.step();
      const task: Promise<void> = send(planned).finally(() => {
        busy.delete(lockOf(planned));
        inFlight.delete(task);
      });
      inFlight.add(task);
      continue;
    }
    await Promise.race([...inFlight, sleep(200)]);
  }

  const faultCounts = faults.stop();
  progress("chaos: requests sent; faults off, settling (safety nets, deliveries' waits)");
  const undeliverable = await settle(sandbox, durable, collector, run);
  await collector.stop();

  const offboardedUsers = [...lastAccepted].filter(([, state]) => state === "offboarded").map(([upn]) => upn);
  const snapshot = await takeSnapshot({
    sandbox,
    durable,
    api,
    logs: run.logs,
    offboardedUsers,
    activeUsers: [...lastAccepted].filter(([, state]) => state === "onboarded").map(([upn]) => upn),
    passphrases: collector.passphrases,
    storage,
    sharedStorage: options.storageConnectionString !== undefined,
  });
  // The durable clock was moved ahead to end the deliveries' waits: expiry is judged by it.
  const invariants = checkAll({ ...snapshot, nowMs: run.clock.now() });
  const passed = invariants.every((r) => r.violations.length === 0);
  const requestEnds: Record<string, number> = {};
  for (const end of snapshot.requests) {
    const key = `${end.name} ${end.status ?? end.runtimeStatus}${end.outcome === undefined ? "" : ` (${end.outcome})`}`;
    requestEnds[key] = (requestEnds[key] ?? 0) + 1;
  }
  return {
    seed: options.seed,
    requests: plan.length,
    users: run.users.length,
    durationMs: performance.now() - run.started,
    ways,
    refusals,
    faults: faultCounts,
    requestEnds,
    undeliverable,
    invariants,
    passed,
    ...(passed ? {} : { diagnosis: diagnose(durable, invariants, run.logs) }),
  };
}

/** Faults off: run the safety nets, move the clock past the deliveries' waits, until no request runs (or a deadline). */
async function settle(
  sandbox: Sandbox,
  durable: LocalDurableBackend,
  collector: DeliveryCollector,
  run: DriveState,
): Promise<number> {
  const invoke = async (name: string): Promise<void> => {
    const response = await fetch(`${sandbox.endpoints.host}/admin/functions/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-functions-key": sandbox.endpoints.masterKey },
      body: JSON.stringify({ input: "" }),
    });
    if (response.status !== 202) throw new Error(`${name} answered ${String(response.status)}`);
  };
  const running = (): string[] =>
    durable.instanceIds().filter((id) => {
      const instance = durable.inspect(id);
      return (
        instance !== undefined &&
        REQUEST_ORCHESTRATIONS.has(instance.name) &&
        (instance.runtimeStatus === "Running" || instance.runtimeStatus === "Pending")
      );
    });
  await invoke("entraReconcile");
  const deadline = Date.now() + 10 * MINUTE;
  let round = 0;
  let stalled = 0;
  let before = Number.POSITIVE_INFINITY;
  while (Date.now() < deadline) {
    await collector.sweep();
    const left = running();
    if (left.length === 0) break;
    // Left only with waits no jump of minutes ends (a delivery whose credential was lost): on to the long jump.
    stalled = left.length < before ? 0 : stalled + 1;
    before = Math.min(before, left.length);
    if (stalled >= 4) break;
    round += 1;
    run.progress(
      `chaos: settling, round ${String(round)}: ${String(left.length)} running (${describe(durable, left)}); views ${JSON.stringify(collector.lastSweep)}; ${run.logs
        .filter((l) => l.startsWith("collector"))
        .slice(-2)
        .join(" | ")}`,
    );
    // Past the download links' lifetime and grace, retry backoffs and the gateway writers' waits.
    run.clock.jump(4 * MINUTE);
    if (round % 3 === 0) await invoke("gatewayReconcile");
    await sleep(1500);
  }
  // A delivery whose one-time passphrase or link was lost with its answer waits out the link's life (72 h).
  const lost = collector.lost.size;
  if (running().length > 0) {
    run.progress(`chaos: ${String(running().length)} requests still running; moving past the delivery links' life`);
    run.clock.jump(73 * 60 * MINUTE);
    const late = Date.now() + 3 * MINUTE;
    while (running().length > 0 && Date.now() < late) await sleep(1000);
  }
  await invoke("gatewayReconcile");
  await sleep(3000);
  await waitWritersIdle(sandbox, durable);
  return lost;
}

/** A few running instances with their custom status, for the progress line. */
function describe(durable: LocalDurableBackend, ids: readonly string[]): string {
  return ids
    .slice(0, 3)
    .map((id) => {
      const instance = durable.inspect(id);
      return `${instance?.name ?? "?"} ${JSON.stringify(instance?.customStatus ?? null).slice(0, 80)}`;
    })
    .join("; ");
}

/** Until every gateway writer sleeps again with nothing running on its gateway. */
async function waitWritersIdle(sandbox: Sandbox, durable: LocalDurableBackend): Promise<void> {
  const deadline = Date.now() + 3 * MINUTE;
  while (Date.now() < deadline) {
    const busy = sandbox.endpoints.gatewayIds.some((id) => {
      const status = durable.inspect(gatewayWriterInstanceId(id))?.customStatus as
        { state?: unknown } | null | undefined;
      const asleep = status === undefined || status === null || status.state === "waiting";
      return !asleep || sandbox.arm.controls.runningOperation(id) !== undefined;
    });
    if (!busy) return;
    await sleep(500);
  }
}
