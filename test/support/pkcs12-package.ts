// A delivered PKCS#12 as its user opens it: openssl with the one-time passphrase (given through the environment, not
// argv).
import { execFile } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface OpenedPkcs12 {
  readonly certificate: X509Certificate;
  readonly privateKey: KeyObject;
  /** The leaf's SHA-1 thumbprint, upper-case hex as the ledger holds it. */
  readonly thumbprint: string;
}

/** openssl's view of the package: its leaf certificate and its key. Rejects when the passphrase is wrong. */
export async function openPkcs12(file: string, passphrase: string): Promise<OpenedPkcs12> {
  const options = { env: { ...process.env, P2S_PFX_PASS: passphrase } };
  const args = ["pkcs12", "-in", file, "-passin", "env:P2S_PFX_PASS"];
  const leaf = await run("openssl", [...args, "-nokeys", "-clcerts"], options);
  const key = await run("openssl", [...args, "-nocerts", "-nodes"], options);
  const certificate = new X509Certificate(leaf.stdout);
  return {
    certificate,
    privateKey: createPrivateKey(key.stdout),
    thumbprint: certificate.fingerprint.replace(/:/g, ""),
  };
}
