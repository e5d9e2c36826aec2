// npm run chaos -- --seed N --requests N [--users N] [--concurrency N]: a seeded, reproducible run of lifecycle
// requests through every way in, with faults on every dependency, on a sandbox of its own; prints the figures and the
// invariants, and exits non-zero when any invariant fails.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatReport } from "./report";
import { runChaos } from "./run";

export const DEFAULT_SEED = 20261206;
export const DEFAULT_REQUESTS = 400;

export function parseArgs(argv: readonly string[]): {
  seed: number;
  requests: number;
  users?: number;
  concurrency?: number;
} {
  const value = (name: string): number | undefined => {
    const at = argv.indexOf(`--${name}`);
    if (at < 0) return undefined;
    const raw = argv[at + 1] ?? "";
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} wants a whole number, got "${raw}"`);
    return parsed;
  };
  const users = value("users");
  const concurrency = value("concurrency");
  return {
    seed: value("seed") ?? DEFAULT_SEED,
    requests: value("requests") ?? DEFAULT_REQUESTS,
    ...(users === undefined ? {} : { users }),
    ...(concurrency === undefined ? {} : { concurrency }),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "p2s-chaos-"));
  try {
    const report = await runChaos({
      ...args,
      dir,
      progress: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(formatReport(report));
    process.exitCode = report.passed ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
