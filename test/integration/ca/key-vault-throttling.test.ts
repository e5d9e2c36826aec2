// Key Vault's create budget, on a virtual clock so no test waits for a window to pass: the app's pacer keeps creates
// inside the vault's budget (no 429 at all, creates spread over the 10 s window), and where 429s come anyway (the
// pacer off, or another writer on the vault) the app rides out the bare 429s Key Vault answers (no Retry-After, which
// the SDK never retries) with its own backoff, so no issuance fails.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulatorCa, createVirtualClock } from "../../../dev/emulators/framework";
import type { VirtualClock } from "../../../dev/emulators/framework";
import { startKeyVaultEmulator } from "../../../dev/emulators/keyvault";
import type { KeyVaultEmulator } from "../../../dev/emulators/keyvault";
import {
  beginClientCertificate,
  completeClientCertificate,
  ensureRootCa,
  signClientCertificate,
} from "../../../src/clients/key-vault-ca";
import type { CaConfig, RootCa } from "../../../src/clients/key-vault-ca";
import { createKeyVaultClients } from "../../../src/clients/keyvault";
import type { KeyVaultClients } from "../../../src/clients/keyvault";
import { parseConfig } from "../../../src/config";
import { assertUpn, keyVaultCertificateName, upnKey } from "../../../src/domain/upn";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";

/** The vault's create budget in these tests: 4 per 10 s (the documented window, a small limit for speed). */
const LIMIT = 4;
const WINDOW_MS = 10_000;

let dir: string;
let vault: KeyVaultEmulator;
let env: Record<string, string>;
let root: RootCa;
/** One clock for the emulator (throttle windows) and the app (pacer, 429 backoff): sleeping on it moves it. */
const clock: VirtualClock = createVirtualClock(Date.now());

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "p2s-kv-throttle-"));
  const ca = await createEmulatorCa();
  const caFile = join(dir, "ca.pem");
  await ca.writeCertPem(caFile);
  vault = await startKeyVaultEmulator({ ca, throttle: false, clock });
  env = {
    // The pacing table (shared pacing), in a table of this file's own: its times are the virtual clock's.
    AzureWebJobsStorage: azuriteConnectionString(),
    LEDGER_TABLE_PREFIX: uniqueName("thr"),
    KEY_VAULT_URL: vault.url,
    ARM_ENDPOINT: "https://127.0.0.1:9",
    GRAPH_ENDPOINT: "https://127.0.0.1:9",
    P2S_CREDENTIAL: "localEmulator",
    P2S_TRUSTED_CA_FILE: caFile,
    CA_ROOT_KEY_SIZE: "2048",
    // No API call here: no access tokens to validate.
    API_TOKENS_REQUIRED: "false",
  };
  const config = parseConfig(env);
  root = await ensureRootCa(createKeyVaultClients(config, { clock }), config, new Date());
});

afterAll(async () => {
  await vault.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  // Past any earlier test's window (the vault's and the pacer's), then the documented window at a small limit,
  // answered with bare 429s (the emulator's default, as Key Vault).
  clock.advance(10 * WINDOW_MS);
  vault.throttle.configure({ limits: { windowMs: WINDOW_MS, keyCreate: { 2048: LIMIT, 3072: LIMIT, 4096: LIMIT } } });
  vault.stats.reset();
});

function appClients(createsPer10s: number): { kv: KeyVaultClients; config: CaConfig } {
  const config = parseConfig({ ...env, KEY_VAULT_CERTIFICATE_CREATES_PER_10S: String(createsPer10s) });
  return { kv: createKeyVaultClients(config, { clock }), config };
}

function identity(
  label: string,
  index: number,
): { upn: ReturnType<typeof assertUpn>; requestId: string; name: string } {
  const upn = assertUpn(`${label}.${index}@contoso.com`);
  const requestId = `THR-${label}-${index}`;
  return { upn, requestId, name: keyVaultCertificateName(upn, requestId) };
}

function createStatuses(): Record<string, number> {
  return vault.stats.operation("certificates.create").byStatus;
}

describe("the create pacer", () => {
  it("keeps creates over the vault's budget inside it: no 429, spread over the 10 s window", async () => {
    const { kv, config } = appClients(LIMIT);
    const count = 2 * LIMIT + 2; // three windows' worth
    const started = clock.now();
    const begun = await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const { upn, requestId, name } = identity("paced", index);
        return beginClientCertificate(kv, config, name, upn, {
          upn: upnKey(upn),
          requestId,
          rootThumbprint: root.thumbprint,
        });
      }),
    );
    expect(begun.every((b) => b.state === "pending")).toBe(true);
    // Not one create refused: a bypassed pacer, or one with a shorter window, meets the vault's 429s.
    expect(createStatuses()["429"] ?? 0).toBe(0);
    expect(createStatuses()["202"]).toBe(count);
    // Three windows' worth of creates take at least two full windows (on the virtual clock).
    expect(clock.now() - started).toBeGreaterThanOrEqual(2 * WINDOW_MS);
  });
});

describe("bare 429s", () => {
  it("are ridden out with backoff: concurrent issuances over the budget, pacing off, all issued", async () => {
    const { kv, config } = appClients(0);
    const count = 2 * LIMIT + 2;
    const views = await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const { upn, requestId, name } = identity("naive", index);
        const begun = await beginClientCertificate(kv, config, name, upn, {
          upn: upnKey(upn),
          requestId,
          rootThumbprint: root.thumbprint,
        });
        if (begun.state === "issued") return begun.certificate;
        const der = await signClientCertificate(kv, config, root, begun.csrBase64, upn, new Date());
        return completeClientCertificate(kv, name, der, root);
      }),
    );
    expect(new Set(views.map((v) => v.thumbprint)).size).toBe(count);
    // The vault did refuse creates, with bare 429s: the app waited and sent them again.
    expect(createStatuses()["429"] ?? 0).toBeGreaterThan(0);
    expect(createStatuses()["202"]).toBe(count);
  });
});
