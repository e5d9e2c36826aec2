// `npm start` without Core Tools: runs the sandbox until Ctrl-C. With `func` on PATH and a local.settings.json, runs
// `func start` against a local Azurite instead (the real Functions host, same app) and exits with func's code.
// Environment: PORT (host port, default 7071; 0 = any free port), P2S_SANDBOX_DIR (where endpoints.json and the
// emulator CA go, default .sandbox), P2S_SANDBOX_FORCE=1 (the sandbox even when `func` is installed),
// P2S_DURABLE_AT_LEAST_ONCE=seed:probability (e.g. 7:0.3; the durable backend re-delivers activities and events with
// that chance, as the Azure Storage backend may; default off).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { relative, resolve } from "node:path";
import { startAzurite } from "../azurite";
import { parseAtLeastOnce } from "../durable/redelivery";
import { startSandbox } from "./sandbox";
import type { Sandbox } from "./sandbox";
import { chooseStartMode, exitCodeOf } from "./start-mode";
import { describeStartup } from "./startup-phases";

function funcAvailable(): boolean {
  const probe = spawnSync("func", ["--version"], { stdio: "ignore" });
  return probe.status === 0;
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once, for a stop that hangs. */
function stopRequested(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        process.stderr.write(`${signal} again: exiting without a clean stop\n`);
        process.exit(130);
      }
      received = true;
      resolveSignal(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === "") return 7071;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

/** Runs func start until it exits; resolves with the exit code to pass on. */
async function runWithCoreTools(): Promise<number> {
  const azurite = await startAzurite();
  try {
    process.stdout.write(`Azurite ready; starting func start\n`);
    const child = spawn("func", ["start"], {
      stdio: "inherit",
      env: { ...process.env, AzureWebJobsStorage: azurite.connectionString },
    });
    const stop = (): void => {
      child.kill("SIGINT");
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return await new Promise<number>((resolveExit, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        resolveExit(exitCodeOf(code, signal, constants.signals));
      });
    });
  } finally {
    await azurite.stop();
  }
}

async function runSandbox(): Promise<number> {
  const port = parsePort(process.env.PORT);
  const dir = resolve(process.env.P2S_SANDBOX_DIR ?? ".sandbox");
  // Listening before start-up begins: a Ctrl-C while it runs still stops Azurite and the servers once they are up.
  const signal = stopRequested();
  const atLeastOnce = parseAtLeastOnce(process.env.P2S_DURABLE_AT_LEAST_ONCE);
  // P2S_SANDBOX_ENTRA_EVENTS=1: the emulated directory drives access (README, "Entra ID events").
  const entraEvents = process.env.P2S_SANDBOX_ENTRA_EVENTS === "1";
  const sandbox: Sandbox = await startSandbox({
    port,
    dir,
    entraEvents,
    ...(atLeastOnce === undefined ? {} : { atLeastOnce }),
  });
  const endpointsPath = resolve(dir, "endpoints.json");
  // Short when the file is under the working directory (the usual .sandbox), absolute otherwise.
  const endpointsFile = relative(process.cwd(), endpointsPath).startsWith("..")
    ? endpointsPath
    : relative(process.cwd(), endpointsPath);
  const { host } = sandbox.endpoints;
  process.stdout.write(
    [
      "",
      `p2s-lifecycle sandbox ready in ${(sandbox.startup.totalMs / 1000).toFixed(1)} s (offline: Azurite, Key Vault and ARM emulators, embedded host)`,
      `  start-up:  ${describeStartup(sandbox.startup)}`,
      `  health:    curl ${host}/api/v1/health`,
      `  roots:     curl -H "x-functions-key: $(jq -r .functionKey ${endpointsFile})" -H "Authorization: Bearer $(jq -r .adminToken ${endpointsFile})" ${host}/api/v1/roots`,
      `  endpoints: ${endpointsFile} (keys, tokens adminToken/readerToken/userToken valid until ${sandbox.endpoints.tokensExpireAt}, URLs, the emulator CA file)`,
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  const received = await signal;
  process.stdout.write(`${received}: stopping sandbox...\n`);
  await sandbox.stop();
  process.stdout.write("sandbox stopped\n");
  return 0;
}

/** The cause on the first line; the stack after it, for a failure nobody foresaw. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    return `${error.message}: another process holds the port (a sandbox already running?); set PORT to use another one`;
  }
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return [error.message, ...frames].join("\n");
}

function main(): Promise<number> {
  const forceSandbox = process.env.P2S_SANDBOX_FORCE === "1";
  const mode = chooseStartMode({
    forceSandbox,
    // Probed only when it matters: spawning func costs a moment.
    funcOnPath: !forceSandbox && funcAvailable(),
    localSettingsExists: existsSync(resolve("local.settings.json")),
  });
  if (mode.kind === "coreTools") return runWithCoreTools();
  if (mode.note !== undefined) process.stdout.write(`${mode.note}\n`);
  return runSandbox();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sandbox failed to start: ${describeFailure(error)}\n`);
    process.exit(1);
  },
);
