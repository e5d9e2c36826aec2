// Runs one PKCS#12 build on its own worker thread. The libraries derive the MAC key (pkijs) and the legacy
// profile's keys (node-forge) with synchronous JavaScript hashing: 100,000 iterations would stall the event loop of
// the whole Functions host. One thread per export, ended after: the key and the passphrase live only in that
// isolate and in the caller's buffers.
import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";
import type { Pkcs12Answer, Pkcs12Job } from "../domain/pkcs12-job";
import { pkcs12Job } from "../domain/pkcs12";
import type { Pkcs12Input } from "../domain/pkcs12";

/** Far above a real build (under a second at 100,000 iterations); a thread that outlives it is ended. */
const DEADLINE_MS = 60_000;
/** Builds at once per process: each is a thread of CPU-bound hashing; more wait their turn in order. */
export const MAX_CONCURRENT_BUILDS = 2;

let running = 0;
const waiting: (() => void)[] = [];

// Built, the entry is dist/.../pkcs12-worker.js and Node loads it. Run from source (jest compiles TypeScript in its
// own process only), it is a .ts file: the bootstrap then compiles .ts files with TypeScript, a devDependency that
// only that case needs.
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
if (workerData.entry.endsWith(".ts")) {
  const ts = require(workerData.typescript);
  const { readFileSync } = require("node:fs");
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  require.extensions[".ts"] = (module, file) =>
    module._compile(ts.transpileModule(readFileSync(file, "utf8"), { compilerOptions, fileName: file }).outputText, file);
}
require(workerData.entry);
`;

/** Builds on a thread now, and builds queued for one. */
export function pkcs12Builds(): { readonly running: number; readonly waiting: number } {
  return { running, waiting: waiting.length };
}

/** The PFX of `input` (checked first, see pkcs12Job), built on a worker thread. */
export async function buildPkcs12(input: Pkcs12Input): Promise<Uint8Array> {
  return runPkcs12Job(pkcs12Job(input));
}

export async function runPkcs12Job(job: Pkcs12Job): Promise<Uint8Array> {
  if (running >= MAX_CONCURRENT_BUILDS) {
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
    });
  } else {
    running += 1;
  }
  try {
    return await runOnThread(job);
  } finally {
    // The slot passes straight to the next in line, so `running` never drops while builds wait.
    const next = waiting.shift();
    if (next === undefined) running -= 1;
    else next();
  }
}

async function runOnThread(job: Pkcs12Job): Promise<Uint8Array> {
  const entry = join(__dirname, `pkcs12-worker${extname(__filename)}`);
  // The thread gets its own copy of the key, moved rather than cloned so no third copy stays behind here.
  const privateKey = new Uint8Array(job.privateKey);
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: {
      entry,
      typescript: entry.endsWith(".ts") ? require.resolve("typescript") : undefined,
      job: { ...job, privateKey },
    },
    transferList: [privateKey.buffer],
  });
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`PKCS#12 build did not finish within ${DEADLINE_MS} ms`));
      }, DEADLINE_MS);
      const settle = (action: () => void): void => {
        clearTimeout(timer);
        action();
      };
      worker.once("message", (answer: Pkcs12Answer) => {
        settle(() => {
          if (answer.ok) resolve(answer.pfx);
          else reject(new Error(`PKCS#12 build failed: ${answer.error}`));
        });
      });
      worker.once("error", (error) => {
        settle(() => {
          reject(new Error(`PKCS#12 worker failed: ${error.message}`));
        });
      });
      worker.once("exit", (code) => {
        settle(() => {
          reject(new Error(`PKCS#12 worker exited (${code}) without an answer`));
        });
      });
    });
  } finally {
    await worker.terminate();
  }
}
