// npm run bench:issue: client certificate issuance throughput against the Key Vault emulator's throttle (certificate
// creates counted like RSA-2048 software key creates: 20 per 10 s, key-vault-service-limits), for the app's paced
// creates (KEY_VAULT_CERTIFICATE_CREATES_PER_10S) and for the naive way (all at once). Over the limit the emulator
// answers bare 429s as Key Vault does (no Retry-After, so the SDK never retries them): both approaches rest on the
// app's own backoff for those, and on its retries of Key Vault's transient 409s on pending certificates.
// With --instances N (N > 1), N app instances are simulated against the one vault, each with its own Key Vault
// clients, pacer and storage client (an Azurite of the bench's own), and the approaches are the app's shared pacing
// (KEY_VAULT_CREATE_PACING=shared: one budget through the pacing table) and a pacer per instance (the naive way: N
// budgets), the issuances split among the instances.
// Options: --count N issuances per approach (default 60: three windows' worth); --limit L creates per 10 s
// (default 20, the documented limit; the app's pacing is set to the same); --instances N (default 1).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulatorCa } from "../dev/emulators/framework";
import { startKeyVaultEmulator } from "../dev/emulators/keyvault";
import { startAzurite } from "../dev/azurite";
import { ensureRootCa } from "../src/clients/key-vault-ca";
import { createKeyVaultClients, keyVaultClients } from "../src/clients/keyvault";
import { parseConfig } from "../src/config";
import type { Config } from "../src/config";
import { recordCreateAdmissions } from "./issue-admissions";
import { runAcrossInstances, runIssuance } from "./issue-run";
import { printReport } from "./issue-report";
import { runBench } from "./bench-main";

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? undefined : Number(process.argv[index + 1]);
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
  return value;
}

async function main(): Promise<void> {
  const count = option("count", 60);
  const windowMs = 10_000;
  const limit = option("limit", 20);
  const instances = option("instances", 1);
  const dir = await mkdtemp(join(tmpdir(), "p2s-bench-"));
  const ca = await createEmulatorCa();
  const caFile = join(dir, "emulator-ca.pem");
  await ca.writeCertPem(caFile);
  const admissions = recordCreateAdmissions();
  const vault = await startKeyVaultEmulator({ ca, throttle: false });
  // The pacing table of shared pacing (only then: a single instance's bench touches no storage).
  const azurite = instances > 1 ? await startAzurite() : undefined;
  try {
    const env = {
      AzureWebJobsStorage: azurite?.connectionString ?? "UseDevelopmentStorage=true",
      KEY_VAULT_URL: vault.url,
      ARM_ENDPOINT: "https://127.0.0.1:9",
      GRAPH_ENDPOINT: "https://127.0.0.1:9",
      P2S_CREDENTIAL: "localEmulator",
      P2S_TRUSTED_CA_FILE: caFile,
      CA_ROOT_KEY_SIZE: "2048",
      // The bench calls no API route: no access tokens to validate.
      API_TOKENS_REQUIRED: "false",
    };
    const paced = (pacing: "shared" | "instance"): Config =>
      parseConfig({
        ...env,
        KEY_VAULT_CERTIFICATE_CREATES_PER_10S: String(limit),
        KEY_VAULT_CREATE_PACING: pacing,
      });
    const naive = parseConfig({ ...env, KEY_VAULT_CERTIFICATE_CREATES_PER_10S: "0" });
    const kv = keyVaultClients(paced("instance"));
    // The root is made before the throttle is on: only issuance is measured.
    const root = await ensureRootCa(kv, naive, new Date());
    const throttle = { limits: { windowMs, keyCreate: { 2048: limit, 3072: limit, 4096: limit } } };
    const runs: readonly (readonly [string, Config])[] =
      instances > 1
        ? [
            ["per-instance", paced("instance")],
            ["shared", paced("shared")],
          ]
        : [
            ["naive", naive],
            ["paced", paced("instance")],
          ];

    const approaches = [];
    for (const [name, config] of runs) {
      // Keys made first: Key Vault answers a burst's creates as fast as a single one, the emulator on two cores would
      // answer the last of 20 seconds later, and a paced client counts each create from its answer.
      await vault.prepareKeys(2048, count);
      // A fresh window and fresh counters for each approach.
      vault.throttle.configure(throttle);
      vault.stats.reset();
      admissions.reset();
      const result =
        instances > 1
          ? await runAcrossInstances(
              // Each simulated instance: Key Vault clients of its own, and so a pacer and a storage client of its own.
              Array.from({ length: instances }, () => createKeyVaultClients(config)),
              config,
              root,
              count,
              name,
            )
          : await runIssuance(kv, config, root, count, name);
      const stats = vault.stats.operation("certificates.create");
      approaches.push({ name, result, stats, admittedAt: admissions.times() });
    }
    printReport({ count, windowMs, limit, instances }, approaches);
  } finally {
    admissions.restore();
    await vault.stop();
    await azurite?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runBench("issue", main);
