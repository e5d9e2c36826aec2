// npm run bench:revoke: 300 revocations arriving within one second against an emulated gateway whose updates take
// 2 s. The app runs the whole burst twice (see revoke-app.ts): as ledger marks + writer requests arriving within the
// second, and end to end through the offboarding API. The naive approach (one read-modify-write per revocation,
// retrying 409) runs a measured subset in the same process, because at one 2 s write per revocation the full burst
// would take over ten minutes, and is extrapolated linearly (the gateway serialises writes, one per revocation).
// Target: at most 2 gateway writes for the burst, in both forms. The writers run with the default coalescing window.
// Environment: BENCH_REVOCATIONS (300), BENCH_NAIVE_REVOCATIONS (30), BENCH_GATEWAY_MS (2000).
import { AppBench } from "./revoke-app";
import { runNaive } from "./revoke-naive";
import type { RunFigures } from "./revoke-support";
import { positiveInt, runBench, withBenchSandbox } from "./bench-main";

const BURST_MS = 1000;
const MAX_APP_WRITES = 2;
/** GATEWAY_COALESCE_MS's default: the bench runs the app as it is deployed. */
const COALESCE_MS = 5000;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function row(cells: readonly string[]): string {
  const widths = [36, 11, 7, 6, 9, 9, 9, 10];
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" ");
}

function figuresRow(label: string, f: RunFigures & { readonly lastMarkMs?: number }): string {
  return row([
    label,
    String(f.revocations),
    String(f.writes),
    String(f.refusals),
    f.lastMarkMs === undefined ? "-" : seconds(f.lastMarkMs),
    seconds(f.wallMs),
    seconds(f.settledMs),
    `${String(f.onGateway)}/${String(f.revocations)}`,
  ]);
}

const met = (f: RunFigures): boolean => f.writes <= MAX_APP_WRITES && f.onGateway === f.revocations;

async function main(): Promise<void> {
  const count = positiveInt("BENCH_REVOCATIONS", 300);
  const naiveCount = Math.min(count, positiveInt("BENCH_NAIVE_REVOCATIONS", 30));
  const gatewayMs = positiveInt("BENCH_GATEWAY_MS", 2000);
  process.stdout.write(`bench:revoke: starting the sandbox (gateway update ${String(gatewayMs)} ms)...\n`);
  await withBenchSandbox(
    {
      gatewayOperationMs: gatewayMs,
      // Only the burst runs the writer: the safety-net timer never fires during the bench.
      // The writers wait the production default before their first read, so the burst shares a write.
      settings: {
        GATEWAY_RECONCILE_SCHEDULE: "0 0 0 1 1 *",
        EXPIRY_CHECK_SCHEDULE: "0 0 0 1 1 *",
        GATEWAY_POLL_INTERVAL_MS: "100",
        GATEWAY_COALESCE_MS: String(COALESCE_MS),
      },
    },
    async (sandbox) => {
      const bench = new AppBench(sandbox);
      process.stdout.write(`app: ${String(count)} ledger marks + writer requests within ${String(BURST_MS)} ms...\n`);
      const app = await bench.run("marks", count, BURST_MS);
      await bench.expireRevocations();
      process.stdout.write(`app: ${String(count)} offboardings (API) within ${String(BURST_MS)} ms...\n`);
      const offboarding = await bench.run("offboarding", count, BURST_MS);
      process.stdout.write(`naive: ${String(naiveCount)} read-modify-writes within ${String(BURST_MS)} ms...\n`);
      const naive = await runNaive(sandbox, naiveCount, BURST_MS);
      const scale = count / naiveCount;
      // Linear: every naive revocation is its own gateway write, and the gateway runs one write at a time. The 409s and
      // lost updates depend on how many scripts contend at once, so they are not extrapolated.
      const extrapolated = { writes: Math.round(naive.writes * scale), wallMs: naive.wallMs * scale };
      const extrapolatedRow = row([
        `naive, EXTRAPOLATED ×${scale.toFixed(0)}`,
        String(count),
        String(extrapolated.writes),
        "-",
        "-",
        seconds(extrapolated.wallMs),
        seconds(extrapolated.wallMs),
        "-",
      ]);

      const lines = [
        "",
        `bench:revoke — ${String(count)} revocations arriving within ${String(BURST_MS)} ms, emulated gateway update ${String(gatewayMs)} ms`,
        "",
        row(["approach", "revocations", "writes", "busy", "marked", "applied", "settled", "on gateway"]),
        figuresRow("app: marks + writer requests", app),
        figuresRow("app: offboarding API, end to end", offboarding),
        figuresRow("naive: RMW per revocation", naive),
        count === naiveCount ? "" : `${extrapolatedRow}  (from the ${String(naiveCount)} measured)`,
        "",
        "marked: first request → last ledger mark; applied: → every revocation on the gateway; settled: → the writer",
        "asleep again (it also ends revoked users' sessions, one more gateway operation). Naive: its scripts' end.",
        `ratio naive/app (marks${count === naiveCount ? "" : "; naive extrapolated"}): writes ${(extrapolated.writes / Math.max(1, app.writes)).toFixed(0)}×, time to applied ${(extrapolated.wallMs / app.wallMs).toFixed(1)}×`,
        `ratio naive/app (offboarding API${count === naiveCount ? "" : "; naive extrapolated"}): writes ${(extrapolated.writes / Math.max(1, offboarding.writes)).toFixed(0)}×, time to applied ${(extrapolated.wallMs / offboarding.wallMs).toFixed(1)}×`,
        `naive lost updates (measured): ${String(naive.revocations - naive.onGateway)} of ${String(naive.revocations)}`,
        `target: at most ${String(MAX_APP_WRITES)} gateway writes for the burst → marks ${met(app) ? "met" : "MISSED"} (${String(app.writes)} writes), offboarding API ${met(offboarding) ? "met" : "MISSED"} (${String(offboarding.writes)} writes)`,
        "",
      ];
      process.stdout.write(lines.filter((line, i) => line !== "" || lines[i - 1] !== "").join("\n"));
      if (!met(app) || !met(offboarding)) process.exitCode = 1;
    },
  );
}

runBench("revoke", main);
