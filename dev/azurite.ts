// Starts Azurite from the npm package as a child process on free loopback ports, in memory, telemetry off.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface AzuriteHandle {
  readonly blobPort: number;
  readonly queuePort: number;
  readonly tablePort: number;
  /** Explicit http connection string (UseDevelopmentStorage=true is fixed to the default ports). */
  readonly connectionString: string;
  readonly pid: number;
  stop(): Promise<void>;
}

// The well-known Azurite development account: public, documented, not a secret.
const ACCOUNT = "devstoreaccount1";
const ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export function azuriteConnectionString(blobPort: number, queuePort: number, tablePort: number): string {
  return [
    "DefaultEndpointsProtocol=http",
    `AccountName=${ACCOUNT}`,
    `AccountKey=${ACCOUNT_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${ACCOUNT}`,
    `QueueEndpoint=http://127.0.0.1:${queuePort}/${ACCOUNT}`,
    `TableEndpoint=http://127.0.0.1:${tablePort}/${ACCOUNT}`,
  ].join(";");
}

export async function startAzurite(options: { startTimeoutMs?: number } = {}): Promise<AzuriteHandle> {
  const script = require.resolve("azurite/dist/src/azurite.js");
  const child = spawn(
    process.execPath,
    [
      script,
      "--silent",
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--loose",
      "--inMemoryPersistence",
      "--blobHost",
      "127.0.0.1",
      "--queueHost",
      "127.0.0.1",
      "--tableHost",
      "127.0.0.1",
      "--blobPort",
      "0",
      "--queuePort",
      "0",
      "--tablePort",
      "0",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const ports = await readPorts(child, options.startTimeoutMs ?? 20_000);
  const pid = child.pid ?? -1;
  return {
    ...ports,
    pid,
    connectionString: azuriteConnectionString(ports.blobPort, ports.queuePort, ports.tablePort),
    stop: () => stopChild(child),
  };
}

export interface HttpsBlobHandle {
  /** https://127.0.0.1:<port>/devstoreaccount1: a blob service URI for token-credential clients. */
  readonly blobServiceUri: string;
  readonly blobPort: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * A second, blob-only Azurite over HTTPS with `--oauth basic`: the one place Azurite hands out user delegation keys
 * (it refuses getUserDelegationKey with an account key, and a bearer token over http). Its certificate is the local
 * emulator CA's server certificate; the key file lives in a private temporary directory only until Azurite has read
 * it at start.
 */
export async function startAzuriteHttpsBlob(
  tls: { readonly cert: string; readonly key: string },
  options: { startTimeoutMs?: number } = {},
): Promise<HttpsBlobHandle> {
  const dir = await mkdtemp(join(tmpdir(), "p2s-azurite-tls-"));
  try {
    const certFile = join(dir, "cert.pem");
    const keyFile = join(dir, "key.pem");
    await writeFile(certFile, tls.cert, { mode: 0o600 });
    await writeFile(keyFile, tls.key, { mode: 0o600 });
    const script = require.resolve("azurite/dist/src/blob/main.js");
    const child = spawn(
      process.execPath,
      [
        script,
        "--silent",
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--inMemoryPersistence",
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        "0",
        "--cert",
        certFile,
        "--key",
        keyFile,
        "--oauth",
        "basic",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const found = await readListening(
      child,
      /Azurite Blob service successfully listens on https:\/\/[^:]+:(\d+)/,
      options.startTimeoutMs ?? 20_000,
    );
    return {
      blobPort: found,
      blobServiceUri: `https://127.0.0.1:${found}/${ACCOUNT}`,
      pid: child.pid ?? -1,
      stop: () => stopChild(child),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Azurite (https blob) has printed the port it listens on. */
function readListening(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<number> {
  return readStartup(child, timeoutMs, "Azurite (https blob)", (output) => {
    const m = pattern.exec(output);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  });
}

function readPorts(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ blobPort: number; queuePort: number; tablePort: number }> {
  return readStartup(child, timeoutMs, "Azurite", (output) => {
    const found: Partial<Record<"Blob" | "Queue" | "Table", number>> = {};
    for (const m of output.matchAll(
      /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/g,
    )) {
      found[m[1] as "Blob" | "Queue" | "Table"] = Number(m[2]);
    }
    return found.Blob === undefined || found.Queue === undefined || found.Table === undefined
      ? undefined
      : { blobPort: found.Blob, queuePort: found.Queue, tablePort: found.Table };
  });
}

/**
 * Reads a starting Azurite's output until `parse` finds what it prints once listening; fails on exit or timeout, and
 * kills it then. Its pipes keep draining afterwards so a full pipe never blocks it.
 */
function readStartup<T>(
  child: ChildProcess,
  timeoutMs: number,
  label: string,
  parse: (output: string) => T | undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      fail(new Error(`${label} did not start within ${timeoutMs} ms: ${output.slice(-500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const found = parse(output);
      if (found !== undefined) {
        cleanup();
        resolve(found);
      }
    };
    const onExit = (code: number | null): void => {
      fail(new Error(`${label} exited with ${String(code)} before listening: ${output.slice(-500)}`));
    };
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      child.stdout?.resume();
      child.stderr?.resume();
    }
    function fail(error: Error): void {
      cleanup();
      child.kill("SIGKILL");
      reject(error);
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
