// In a plain node process (no jest registry), startHost installs the @azure/functions-core stand-in itself before
// loading the app from a module path, as the sandbox will run it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import ts from "typescript";
import { within } from "../../support/wait";

const root = path.resolve(__dirname, "../../..");
let workDir: string;

async function transpile(source: string, target: string): Promise<void> {
  const { outputText } = ts.transpileModule(await readFile(source, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: source,
  });
  await writeFile(target, outputText);
}

const MAIN = `
const { startHost } = require("./dev/host/host.js");
startHost({ appEntry: process.argv[2], port: 0, log: (line) => process.stderr.write(line + "\\n") }).then(
  (host) => {
    process.stdout.write(JSON.stringify({ url: host.url, functionKey: host.keys.functionKey }) + "\\n");
    process.stdin.on("end", () => host.stop().then(() => process.exit(0)));
    process.stdin.resume();
  },
  (error) => {
    process.stderr.write(String(error && error.stack) + "\\n");
    process.exit(1);
  },
);
`;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), "dev-host-node-"));
  await mkdir(path.join(workDir, "dev/host"), { recursive: true });
  const hostDir = path.join(root, "dev/host");
  for (const file of (await readdir(hostDir)).filter((name) => name.endsWith(".ts"))) {
    await transpile(path.join(hostDir, file), path.join(workDir, "dev/host", file.replace(/\.ts$/, ".js")));
  }
  await transpile(path.join(root, "test/fixtures/host-app/node-app.ts"), path.join(workDir, "app.js"));
  await writeFile(path.join(workDir, "main.js"), MAIN);
});

afterAll(() => rm(workDir, { recursive: true, force: true }));

it("loads the app through the stand-in and serves it", async () => {
  const child = spawn(process.execPath, ["main.js", "app.js"], {
    cwd: workDir,
    env: { ...process.env, NODE_PATH: path.join(root, "node_modules") },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
  try {
    const exited = once(child, "exit").then(() => {
      throw new Error(`the host process exited early: ${stderr.join("")}`);
    });
    exited.catch(() => undefined); // the race below reports it; once the host is up, exiting is expected
    const firstLine = await within(
      Promise.race([once(createInterface({ input: child.stdout }), "line").then(([line]) => line as string), exited]),
      { message: "the host process to print its address" },
    );
    const { url, functionKey } = JSON.parse(firstLine) as { url: string; functionKey: string };

    expect((await fetch(`${url}/api/ping`)).status).toBe(401);
    const response = await fetch(`${url}/api/ping`, { headers: { "x-functions-key": functionKey } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ pong: true, appStartRan: true });
    expect(stderr.join("")).toMatch(/Executed 'Functions\.ping' \(Succeeded/);
  } finally {
    child.stdin.end();
    if (child.exitCode === null) await within(once(child, "exit"), { message: "the host process to exit" });
    expect(child.exitCode).toBe(0);
  }
});
