// `npm start` as a user runs it: the compiled sandbox (node dist/dev/sandbox/main.js) in a child process. Builds dist
// first when it is missing or older than the sources, as `npm start` does, so the test runs the current code.
import { execFile, spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { readdir, readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const SANDBOX_MAIN = path.join(REPO_ROOT, "dist/dev/sandbox/main.js");
const SOURCE_DIRS = ["src", "dev", "bench"];
const BUILD_INPUTS = ["tsconfig.json", "tsconfig.build.json", "package.json"];

async function newestSourceMtime(): Promise<number> {
  let newest = 0;
  for (const file of BUILD_INPUTS) newest = Math.max(newest, (await stat(path.join(REPO_ROOT, file))).mtimeMs);
  for (const dir of SOURCE_DIRS) {
    const entries = await readdir(path.join(REPO_ROOT, dir), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
      newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return newest;
}

/** Runs `tsc -p tsconfig.build.json` (what `npm run build` does) unless dist is newer than every source. */
export async function ensureBuilt(): Promise<void> {
  const built = await stat(SANDBOX_MAIN).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built > (await newestSourceMtime())) return;
  const tsc = require.resolve("typescript/bin/tsc");
  try {
    await promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? String(error);
    throw new Error(`npm run build fails, so npm start would too:\n${output.slice(0, 4000)}`);
  }
}

/** A port free at the time of asking (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

/** Whether nothing listens on 127.0.0.1:port any more (a listen there succeeds). */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, "127.0.0.1");
  try {
    await once(server, "listening");
  } catch {
    return false;
  }
  server.close();
  await once(server, "close");
  return true;
}

export interface SandboxProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** Sends the signal to the sandbox's whole process group, Azurite included, as Ctrl-C in a terminal does. */
  signalGroup(signal: NodeJS.Signals): void;
}

export function spawnSandbox(env: Readonly<Record<string, string>>): SandboxProcess {
  const child = spawn(process.execPath, [SANDBOX_MAIN], {
    cwd: REPO_ROOT,
    env: { ...process.env, P2S_SANDBOX_FORCE: "1", ...env },
    stdio: ["pipe", "pipe", "pipe"],
    // A process group of its own, like a terminal's foreground job.
    detached: true,
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve(code ?? signal ?? "unknown");
    });
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  return { child, stdout: () => out, stderr: () => err, exited, signalGroup };
}

/** Processes (the sandbox, or an Azurite it spawned and left behind) whose environment holds `marker`. */
export async function processesWithEnv(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir("/proc").catch(() => [])) {
    if (!/^\d+$/.test(name)) continue;
    const environ = await readFile(`/proc/${name}/environ`, "utf8").catch(() => "");
    if (environ.includes(marker)) found.push(Number(name));
  }
  return found;
}
