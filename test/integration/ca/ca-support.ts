// Shared pieces of the CA acceptance tests: the app's Key Vault clients against the emulator stack, the three
// issuance steps as the orchestration runs them, and openssl over files in temporary directories that are removed.
import "reflect-metadata";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  beginClientCertificate,
  completeClientCertificate,
  ensureRootCa,
  signClientCertificate,
} from "../../../src/clients/key-vault-ca";
import type { ClientCertificateView, RootCa } from "../../../src/clients/key-vault-ca";
import { createKeyVaultClients, keyVaultClients } from "../../../src/clients/keyvault";
import type { KeyVaultClients } from "../../../src/clients/keyvault";
import type { Config } from "../../../src/config";
import { assertUpn, keyVaultCertificateName, upnKey } from "../../../src/domain/upn";
import { SkippingClock } from "../../support/skipping-clock";
import { startStack } from "../../support/stack";
import type { Stack } from "../../support/stack";

export interface CaFixture {
  readonly stack: Stack;
  readonly config: Config;
  readonly kv: KeyVaultClients;
  stop(): Promise<void>;
}

/** The emulator stack (throttle off unless asked) and the app's own Key Vault clients, configured as the app is. */
export async function startCaFixture(
  overrides: Record<string, string> = {},
  options: { keyVaultThrottle?: boolean; skipSleeps?: boolean } = {},
): Promise<CaFixture> {
  const stack = await startStack({ keyVaultThrottle: options.keyVaultThrottle });
  const config = stack.config(overrides);
  // With skipSleeps, the clients' backoffs (e.g. the pending-conflict retries) move a clock instead of waiting.
  const kv =
    options.skipSleeps === true
      ? createKeyVaultClients(config, { clock: new SkippingClock() })
      : keyVaultClients(config);
  return { stack, config, kv, stop: () => stack.stop() };
}

export interface IssuedForTest {
  readonly certificateName: string;
  readonly view: ClientCertificateView;
}

/** Begin, sign, complete: the activities of issueClientCertificate, in order, without the durable host. */
export async function issueForTest(
  fixture: CaFixture,
  root: RootCa,
  upnText: string,
  requestId: string,
): Promise<IssuedForTest> {
  const { kv, config } = fixture;
  const upn = assertUpn(upnText);
  const certificateName = keyVaultCertificateName(upn, requestId);
  const begun = await beginClientCertificate(kv, config, certificateName, upn, {
    upn: upnKey(upn),
    requestId,
    rootThumbprint: root.thumbprint,
  });
  if (begun.state === "issued") return { certificateName, view: begun.certificate };
  const der = await signClientCertificate(kv, config, root, begun.csrBase64, upn, new Date());
  return { certificateName, view: await completeClientCertificate(kv, certificateName, der, root) };
}

export function rootOf(fixture: CaFixture): Promise<RootCa> {
  return ensureRootCa(fixture.kv, fixture.config, new Date());
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs openssl; resolves with its exit code instead of rejecting, so tests can assert failures too. */
export function openssl(args: readonly string[], cwd: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile("openssl", [...args], { cwd, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A temporary directory for key material and certificates; `remove()` deletes it with everything in it. */
export class TempDir {
  private constructor(readonly path: string) {}

  static async create(): Promise<TempDir> {
    return new TempDir(await mkdtemp(join(tmpdir(), "p2s-ca-test-")));
  }

  async write(name: string, content: string | Uint8Array): Promise<string> {
    const file = join(this.path, name);
    await writeFile(file, content, { mode: 0o600 });
    return file;
  }

  openssl(args: readonly string[]): Promise<CommandResult> {
    return openssl(args, this.path);
  }

  remove(): Promise<void> {
    return rm(this.path, { recursive: true, force: true });
  }
}

/** The lines of `openssl x509 -text` that follow a heading such as "X509v3 Extended Key Usage:". */
export function extensionText(text: string, heading: string): string {
  const lines = text.split("\n");
  const index = lines.findIndex((line) => line.trim().startsWith(heading));
  if (index < 0) return "";
  return `${lines[index]?.trim() ?? ""}\n${lines[index + 1]?.trim() ?? ""}`;
}
