// What every bench script shares: its numeric settings from the environment, its sandbox, and how it ends when it
// fails.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox } from "../dev/sandbox/sandbox";
import type { Sandbox, SandboxOptions } from "../dev/sandbox/sandbox";

/** A positive integer from the environment, or `fallback` when unset; anything else stops the bench with its name. */
export function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Runs the bench; a failure is printed with its stack and makes the process exit non-zero. */
export function runBench(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(
      `bench:${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}

/**
 * Runs `body` on a sandbox of its own (a temporary directory, a 2048-bit root to start quickly, the app's log kept):
 * on failure the log's last lines are printed; the sandbox is stopped and its directory removed either way.
 */
export async function withBenchSandbox(
  options: Omit<SandboxOptions, "port" | "dir" | "log" | "rootKeySize">,
  body: (sandbox: Sandbox) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "p2s-bench-"));
  const logs: string[] = [];
  const sandbox = await startSandbox({ ...options, port: 0, dir, rootKeySize: 2048, log: (line) => logs.push(line) });
  try {
    await body(sandbox);
  } catch (error) {
    process.stderr.write(`${logs.slice(-40).join("\n")}\n`);
    throw error;
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
