// The bench's figures. Achieved creates/s is the sustained rate of admitted creates: the vault's window admits a first
// burst of `limit` creates at once, which a short run would count as speed, so the rate counts the creates after that
// burst over the time from the first admission to the last: (admitted - limit) / (last - first). A client that keeps
// the window full scores 1.0. The plain wall-clock rate (issued / wall time) is printed beside it.
import type { OperationStats } from "../dev/emulators/framework";
import type { RunResult } from "./issue-run";

export interface BenchSettings {
  readonly count: number;
  readonly windowMs: number;
  readonly limit: number;
}

export interface ApproachResult {
  readonly name: string;
  readonly result: RunResult;
  readonly stats: OperationStats;
  /** When the vault admitted each create (performance.now()), ascending. */
  readonly admittedAt: readonly number[];
}

export interface Figures {
  readonly sustainedPerSecond: number;
  readonly ratio: number;
}

export function figures(settings: BenchSettings, admittedAt: readonly number[]): Figures {
  const limitPerSecond = (settings.limit * 1000) / settings.windowMs;
  const first = admittedAt[0] ?? 0;
  const last = admittedAt[admittedAt.length - 1] ?? 0;
  const sustainedPerSecond =
    admittedAt.length > settings.limit && last > first
      ? ((admittedAt.length - settings.limit) * 1000) / (last - first)
      : NaN;
  return { sustainedPerSecond, ratio: sustainedPerSecond / limitPerSecond };
}

export function printReport(settings: BenchSettings, approaches: readonly ApproachResult[]): void {
  const limitPerSecond = (settings.limit * 1000) / settings.windowMs;
  const lines = [
    "bench:issue: client certificate issuance against the Key Vault emulator's throttle",
    `limit: ${settings.limit} certificate creates per ${settings.windowMs / 1000} s = ${limitPerSecond.toFixed(2)}/s` +
      " (Key Vault's documented limit for RSA-2048 software key creates is 20 per 10 s)",
    `${settings.count} issuances per approach, all started at once; root and client keys RSA-2048`,
    "",
    pad(["approach", "issued", "failed", "wall s", "creates/s wall", "creates/s sustained", "ratio", "429s"]),
  ];
  for (const { name, result, stats, admittedAt } of approaches) {
    const f = figures(settings, admittedAt);
    lines.push(
      pad([
        name,
        String(result.issued),
        String(result.failed),
        (result.wallMs / 1000).toFixed(1),
        ((result.issued * 1000) / result.wallMs).toFixed(2),
        f.sustainedPerSecond.toFixed(2),
        f.ratio.toFixed(2),
        String(stats.byStatus["429"] ?? 0),
      ]),
    );
    for (const error of result.errors) lines.push(`  ${name} error: ${error}`);
  }
  const [naive, paced] = approaches;
  if (naive !== undefined && paced !== undefined) {
    const a = figures(settings, paced.admittedAt);
    const b = figures(settings, naive.admittedAt);
    lines.push(
      "",
      `${paced.name}/${naive.name}: sustained rate x${(a.sustainedPerSecond / b.sustainedPerSecond).toFixed(2)}, ` +
        `issued ${paced.result.issued} vs ${naive.result.issued}, ` +
        `429s ${paced.stats.byStatus["429"] ?? 0} vs ${naive.stats.byStatus["429"] ?? 0}`,
      `target: ratio >= 0.90 and 0 failed for ${paced.name}: ` +
        (a.ratio >= 0.9 && paced.result.failed === 0 ? "met" : "NOT met"),
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

function pad(cells: readonly string[]): string {
  const widths = [10, 7, 7, 7, 15, 20, 6, 6];
  return cells
    .map((cell, i) => cell.padEnd(widths[i] ?? 8))
    .join(" ")
    .trimEnd();
}
