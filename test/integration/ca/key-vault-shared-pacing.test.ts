// Several app instances against one vault: each with its own Key Vault clients, pacer and storage client (as separate
// processes would have), sharing the create budget through the pacing table in Azurite. The Key Vault emulator's
// throttle is the judge: with shared pacing not one create is refused; with a pacer per instance (the naive way) the
// instances together draw several times the budget and are throttled. A virtual clock (one time for the emulator and
// every instance, each instance with a clock object of its own) keeps the test from waiting for windows to pass.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulatorCa, createVirtualClock } from "../../../dev/emulators/framework";
import type { VirtualClock } from "../../../dev/emulators/framework";
import { startKeyVaultEmulator } from "../../../dev/emulators/keyvault";
import type { KeyVaultEmulator } from "../../../dev/emulators/keyvault";
import { beginClientCertificate, ensureRootCa } from "../../../src/clients/key-vault-ca";
import type { RootCa } from "../../../src/clients/key-vault-ca";
import { createKeyVaultClients } from "../../../src/clients/keyvault";
import type { KeyVaultClock } from "../../../src/clients/key-vault-throttle-policy";
import { parseConfig } from "../../../src/config";
import { assertUpn, keyVaultCertificateName, upnKey } from "../../../src/domain/upn";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";

const LIMIT = 4;
const WINDOW_MS = 10_000;
const INSTANCES = 4;
/** Creates per instance: together four windows' worth. */
const PER_INSTANCE = LIMIT;

let dir: string;
let vault: KeyVaultEmulator;
let env: Record<string, string>;
let root: RootCa;
const clock: VirtualClock = createVirtualClock(Date.now());

/** One instance's clock: the shared virtual time through an object of its own (a process has its own clock). */
function instanceClock(): KeyVaultClock {
  return { now: () => clock.now(), sleep: (ms) => clock.sleep(ms) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "p2s-kv-shared-pacing-"));
  const ca = await createEmulatorCa();
  const caFile = join(dir, "ca.pem");
  await ca.writeCertPem(caFile);
  vault = await startKeyVaultEmulator({ ca, throttle: false, clock });
  env = {
    AzureWebJobsStorage: azuriteConnectionString(),
    // A pacing table of this file's own: its times are the virtual clock's.
    LEDGER_TABLE_PREFIX: uniqueName("pace"),
    KEY_VAULT_URL: vault.url,
    ARM_ENDPOINT: "https://127.0.0.1:9",
    GRAPH_ENDPOINT: "https://127.0.0.1:9",
    P2S_CREDENTIAL: "localEmulator",
    P2S_TRUSTED_CA_FILE: caFile,
    CA_ROOT_KEY_SIZE: "2048",
    API_TOKENS_REQUIRED: "false",
    KEY_VAULT_CERTIFICATE_CREATES_PER_10S: String(LIMIT),
  };
  const config = parseConfig(env);
  root = await ensureRootCa(createKeyVaultClients(config, { clock: instanceClock() }), config, new Date());
});

afterAll(async () => {
  await vault.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  clock.advance(10 * WINDOW_MS);
  vault.throttle.configure({ limits: { windowMs: WINDOW_MS, keyCreate: { 2048: LIMIT, 3072: LIMIT, 4096: LIMIT } } });
  vault.stats.reset();
});

/** Every instance begins its issuances at once; resolves when all are pending (their creates accepted). */
async function burst(pacing: "shared" | "instance", label: string): Promise<void> {
  const config = parseConfig({ ...env, KEY_VAULT_CREATE_PACING: pacing });
  const begun = await Promise.all(
    Array.from({ length: INSTANCES }, async (_, instance) => {
      const kv = createKeyVaultClients(config, { clock: instanceClock() });
      return Promise.all(
        Array.from({ length: PER_INSTANCE }, async (_, index) => {
          const upn = assertUpn(`${label}.${instance}.${index}@contoso.com`);
          const requestId = `PACE-${label}-${instance}-${index}`;
          return beginClientCertificate(kv, config, keyVaultCertificateName(upn, requestId), upn, {
            upn: upnKey(upn),
            requestId,
            rootThumbprint: root.thumbprint,
          });
        }),
      );
    }),
  );
  expect(begun.flat().every((b) => b.state === "pending")).toBe(true);
}

function createStatuses(): Record<string, number> {
  return vault.stats.operation("certificates.create").byStatus;
}

describe("Key Vault create pacing across app instances", () => {
  it("shared through the pacing table: 4 instances over the budget, not one create throttled", async () => {
    const started = clock.now();
    await burst("shared", "shared");
    expect(createStatuses()["429"] ?? 0).toBe(0);
    expect(createStatuses()["202"]).toBe(INSTANCES * PER_INSTANCE);
    // Four windows' worth of creates take at least three windows.
    expect(clock.now() - started).toBeGreaterThanOrEqual(3 * WINDOW_MS);
  });

  it("a pacer per instance (the naive way): together the instances draw several budgets and are throttled", async () => {
    await burst("instance", "naive");
    expect(createStatuses()["429"] ?? 0).toBeGreaterThan(0);
    expect(createStatuses()["202"]).toBe(INSTANCES * PER_INSTANCE);
  });
});
