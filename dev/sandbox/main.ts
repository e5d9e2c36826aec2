// `npm start` without Core Tools: runs the sandbox until Ctrl-C. With `func` on PATH, runs `func start` against a
// local Azurite instead (the real Functions host, same app).
import { spawn, spawnSync } from "node:child_process";
import { startAzurite } from "../azurite";
import { startSandbox } from "./sandbox";

function funcAvailable(): boolean {
  const probe = spawnSync("func", ["--version"], { stdio: "ignore" });
  return probe.status === 0;
}

async function runWithCoreTools(): Promise<void> {
  const azurite = await startAzurite();
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
  await new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  await azurite.stop();
}

async function runSandbox(): Promise<void> {
  const started = performance.now();
  const sandbox = await startSandbox({ port: Number(process.env.PORT ?? 7071) });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      "",
      `p2s-lifecycle sandbox ready in ${seconds} s (offline: Azurite, Key Vault and ARM emulators, embedded host)`,
      `  health:    curl ${sandbox.endpoints.host}/api/v1/health`,
      `  roots:     curl -H "x-functions-key: $(jq -r .functionKey .sandbox/endpoints.json)" ${sandbox.endpoints.host}/api/v1/roots`,
      `  endpoints: .sandbox/endpoints.json`,
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.stdout.write("stopping sandbox...\n");
  await sandbox.stop();
}

const main = process.env.P2S_SANDBOX_FORCE === "1" || !funcAvailable() ? runSandbox : runWithCoreTools;
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `sandbox failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
