// `npm start` on a machine without Core Tools: the compiled sandbox in its own process comes up, answers health,
// writes its endpoints, logs one line per invocation, and stops cleanly on Ctrl-C (SIGINT to its process group, as a
// terminal sends it), releasing every port.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkEndpointsFile } from "../support/endpoints-check";
import { within } from "../support/wait";
import { ensureBuilt, freePort, portIsFree, processesWithEnv, spawnSandbox } from "../support/sandbox-process";
import type { SandboxProcess } from "../support/sandbox-process";

// The acceptance bound for `npm start` answering health; a liveness limit, not a performance figure.
const READY_WITHIN_MS = 30_000;

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "p2s-npm-start-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Polls until health answers 200 and endpoints.json exists, as a user would before using the sandbox. */
async function waitUntilReady(sandbox: SandboxProcess, url: string, file: string): Promise<Response> {
  const deadline = Date.now() + READY_WITHIN_MS;
  let exitCode: number | string | undefined;
  void sandbox.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the sandbox exited with ${String(exitCode)}: ${sandbox.stderr()}`);
    const response = await fetch(url).catch(() => undefined);
    const written = await stat(file).then(
      () => true,
      () => false,
    );
    if (response?.status === 200 && written) return response;
    if (Date.now() > deadline) {
      throw new Error(`not ready within ${READY_WITHIN_MS} ms; output:\n${sandbox.stdout()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

it("comes up, answers health, writes its endpoints, logs invocations and stops cleanly on Ctrl-C", async () => {
  const port = await freePort();
  const sandbox = spawnSandbox({ PORT: String(port), P2S_SANDBOX_DIR: dir });
  try {
    const file = path.join(dir, "endpoints.json");
    const health = await waitUntilReady(sandbox, `http://127.0.0.1:${port}/api/v1/health`, file);
    expect(await health.json()).toEqual({ status: "healthy" });

    const endpoints = await checkEndpointsFile(file);
    expect(endpoints.host).toBe(`http://127.0.0.1:${port}`);
    expect(sandbox.stdout()).toContain(`p2s-lifecycle sandbox ready in`);
    expect(sandbox.stdout()).toContain(`curl http://127.0.0.1:${port}/api/v1/health`);
    // One line per invocation: function name, outcome, id and duration.
    expect(sandbox.stdout()).toMatch(/^Executed 'Functions\.health' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\)$/m);
    expect(sandbox.stdout()).toMatch(
      /^Executed 'Functions\.listRoots' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\)$/m,
    );

    const storage = endpoints.storageConnectionString;
    const ports = [
      port,
      portOf(endpoints.keyVaultUrl),
      portOf(endpoints.armUrl),
      ...[...storage.matchAll(/Endpoint=http:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => Number(m[1])),
    ];
    expect(ports).toHaveLength(6);

    sandbox.signalGroup("SIGINT");
    expect(await within(sandbox.exited, { message: "the sandbox to exit after SIGINT" })).toBe(0);
    expect(sandbox.stdout()).toMatch(/^SIGINT: stopping sandbox\.\.\.$[\s\S]*^sandbox stopped$/m);
    expect(sandbox.stderr()).toBe("");
    for (const released of ports) expect(await portIsFree(released)).toBe(true);
    // Azurite, a child process of the sandbox, is gone too.
    expect(await processesWithEnv(dir)).toEqual([]);
  } finally {
    sandbox.signalGroup("SIGKILL");
  }
});

it("explains a start-up failure on stderr, exits 1 and leaves nothing running", async () => {
  const taken = createServer();
  taken.listen(0, "127.0.0.1");
  await once(taken, "listening");
  const { port } = taken.address() as { port: number };
  const sandbox = spawnSandbox({ PORT: String(port), P2S_SANDBOX_DIR: dir });
  try {
    expect(await within(sandbox.exited, { message: "the sandbox to exit on a port in use" })).toBe(1);
    expect(sandbox.stderr()).toMatch(/^sandbox failed to start: .*EADDRINUSE.*set PORT to use another one$/m);
    expect(await processesWithEnv(dir)).toEqual([]);
  } finally {
    sandbox.signalGroup("SIGKILL");
    taken.close();
  }
});

it("refuses a PORT that is not a port number", async () => {
  const sandbox = spawnSandbox({ PORT: "seventy", P2S_SANDBOX_DIR: dir });
  expect(await within(sandbox.exited, { message: "the sandbox to exit on a bad PORT" })).toBe(1);
  expect(sandbox.stderr()).toMatch(/^sandbox failed to start: PORT must be a port number \(0-65535\), got "seventy"$/m);
});
