// Entry of the PKCS#12 worker thread (see pkcs12-thread.ts): builds one PFX from workerData and posts it back.
// An error is reduced to its message, from the libraries' own checks: it never holds the job (key or passphrase).
import { parentPort, workerData } from "node:worker_threads";
import { buildAesPkcs12 } from "../domain/pkcs12-aes";
import type { Pkcs12Answer, Pkcs12Job } from "../domain/pkcs12-job";
import { buildLegacyPkcs12 } from "../domain/pkcs12-legacy";

async function build(job: Pkcs12Job): Promise<Uint8Array> {
  return job.encryption === "aes256" ? buildAesPkcs12(job) : buildLegacyPkcs12(job);
}

function post(answer: Pkcs12Answer): void {
  if (parentPort === null) throw new Error("pkcs12-worker runs on a worker thread only");
  parentPort.postMessage(answer, answer.ok ? [answer.pfx.buffer as ArrayBuffer] : []);
}

const job = (workerData as { readonly job: Pkcs12Job }).job;
build(job).then(
  (pfx) => {
    job.privateKey.fill(0);
    post({ ok: true, pfx });
  },
  (error: unknown) => {
    job.privateKey.fill(0);
    post({ ok: false, error: error instanceof Error ? error.message : "PKCS#12 build failed" });
  },
);
