// The bench's figures. The vault admits at most `limit` creates in any sliding window of `windowMs`: at best, create
// k + limit arrives exactly `windowMs` after create k. So the rate a client sustains is `limit` per the mean time
// between each admitted create and the one `limit` places later, and the ratio is that rate over the limit's: a client
// that refills the window the moment a create leaves it scores 1.0, however its first burst was spread. (Counting from
// the first admission to the last instead charges a short run with the first burst's spread once per run, as if
// every later window had been that late.) The first-to-last rate and the plain wall-clock rate are printed beside it.
import type { OperationStats } from "../dev/emulators/framework";
import type { RunResult } from "./issue-run";

export interface BenchSettings {
  readonly count: number;
  readonly windowMs: number;
  readonly limit: number;
  /** Simulated app instances sharing the vault (1: the app alone). */
  readonly instances: number;
}

export interface ApproachResult {
  readonly name: string;
  readonly result: RunResult;
  readonly stats: OperationStats;
  /** When the vault admitted each create (performance.now()), ascending. */
  readonly admittedAt: readonly number[];
}

export interface Figures {
  /** `limit` creates per the mean time from a create to the one `limit` later (NaN under limit + 1 creates). */
  readonly sustainedPerSecond: number;
  readonly ratio: number;
  /** (admitted - limit) / (last - first): the figure earlier runs reported. */
  readonly firstToLastPerSecond: number;
}

export function figures(settings: BenchSettings, admittedAt: readonly number[]): Figures {
  const limitPerSecond = (settings.limit * 1000) / settings.windowMs;
  const gaps = admittedAt.slice(settings.limit).map((at, k) => at - (admittedAt[k] ?? at));
  const meanGap = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
  const sustainedPerSecond = gaps.length > 0 && meanGap > 0 ? (settings.limit * 1000) / meanGap : NaN;
  const first = admittedAt[0] ?? 0;
  const last = admittedAt[admittedAt.length - 1] ?? 0;
  const firstToLastPerSecond =
    admittedAt.length > settings.limit && last > first
      ? ((admittedAt.length - settings.limit) * 1000) / (last - first)
      : NaN;
  return { sustainedPerSecond, ratio: sustainedPerSecond / limitPerSecond, firstToLastPerSecond };
}

export function printReport(settings: BenchSettings, approaches: readonly ApproachResult[]): void {
  const limitPerSecond = (settings.limit * 1000) / settings.windowMs;
  const lines = [
    "bench:issue: client certificate issuance against the Key Vault emulator's throttle",
    `limit: ${settings.limit} certificate creates per ${settings.windowMs / 1000} s = ${limitPerSecond.toFixed(2)}/s` +
      " (Key Vault's documented limit for RSA-2048 software key creates is 20 per 10 s)",
    `${settings.count} issuances per approach, all started at once; root and client keys RSA-2048`,
    ...(settings.instances > 1
      ? [
          `${settings.instances} app instances simulated, each with its own Key Vault clients, pacer and storage client, the issuances split among them;`,
          "the figures are the instances' together against the vault's one limit",
        ]
      : []),
    "creates/s: wall = issued / wall time; first-to-last = (admitted - limit) / (last - first admission);",
    `sustained = ${settings.limit} / mean time from each admitted create to the one ${settings.limit} later; ratio = sustained / limit`,
    "",
    pad(["approach", "issued", "failed", "wall s", "creates/s wall", "first-to-last", "sustained", "ratio", "429s"]),
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
        f.firstToLastPerSecond.toFixed(2),
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
      `target: ratio >= 0.90, 0 failed and 0 throttled for ${paced.name}: ` +
        (a.ratio >= 0.9 && paced.result.failed === 0 && (paced.stats.byStatus["429"] ?? 0) === 0 ? "met" : "NOT met"),
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

function pad(cells: readonly string[]): string {
  const widths = [10, 7, 7, 7, 15, 14, 10, 6, 6];
  return cells
    .map((cell, i) => cell.padEnd(widths[i] ?? 8))
    .join(" ")
    .trimEnd();
}
