// The pacer a certificate create waits on: shared by every instance of the app through storage (the default), or
// this process's own (KEY_VAULT_CREATE_PACING=instance), or none (KEY_VAULT_CERTIFICATE_CREATES_PER_10S=0).
import type { Config } from "../config";
import { CertificateCreatePacer, KEY_VAULT_WINDOW_MS } from "./certificate-create-pacer";
import type { CreatePacer } from "./certificate-create-pacer";
import { TablePacingStore } from "./create-pacing-table";
import type { KeyVaultClients } from "./keyvault";
import { SharedCreatePacer } from "./shared-create-pacer";
import { tableClient } from "./storage";

export type CreatePacingConfig = Pick<
  Config,
  | "KEY_VAULT_CERTIFICATE_CREATES_PER_10S"
  | "KEY_VAULT_CREATE_PACING"
  | "KEY_VAULT_PACING_CLOCK_SKEW_MS"
  | "KEY_VAULT_PACING_STORAGE_WAIT_MS"
  | "LEDGER_TABLE_PREFIX"
  | "AzureWebJobsStorage"
  | "AzureWebJobsStorage__blobServiceUri"
  | "AzureWebJobsStorage__tableServiceUri"
  | "P2S_CREDENTIAL"
  | "AZURE_CLIENT_ID"
>;

/** The table of the shared budget's slots. */
export function pacingTableName(config: Pick<Config, "LEDGER_TABLE_PREFIX">): string {
  return `${config.LEDGER_TABLE_PREFIX}Pacing`;
}

/**
 * Pacers per Key Vault clients (the app builds its clients once per process, keyVaultClients; a test or bench that
 * stands for several instances builds clients per instance, createKeyVaultClients), then per setting.
 */
const pacers = new WeakMap<KeyVaultClients, Map<string, CreatePacer>>();

/** The pacer of `kv`'s vault, or undefined when pacing is off. */
export function createPacerFor(kv: KeyVaultClients, config: CreatePacingConfig): CreatePacer | undefined {
  const limit = config.KEY_VAULT_CERTIFICATE_CREATES_PER_10S;
  if (limit === 0) return undefined;
  let byKey = pacers.get(kv);
  if (byKey === undefined) {
    byKey = new Map();
    pacers.set(kv, byKey);
  }
  const key = [
    limit,
    config.KEY_VAULT_CREATE_PACING,
    config.KEY_VAULT_PACING_CLOCK_SKEW_MS,
    config.KEY_VAULT_PACING_STORAGE_WAIT_MS,
    pacingTableName(config),
  ].join("|");
  let pacer = byKey.get(key);
  if (pacer === undefined) {
    pacer =
      config.KEY_VAULT_CREATE_PACING === "instance"
        ? new CertificateCreatePacer(limit, KEY_VAULT_WINDOW_MS, kv.clock)
        : new SharedCreatePacer(new TablePacingStore(tableClient(config, pacingTableName(config)), kv.vaultUrl), {
            limit,
            windowMs: KEY_VAULT_WINDOW_MS,
            clock: kv.clock,
            maxSkewMs: config.KEY_VAULT_PACING_CLOCK_SKEW_MS,
            storageWaitMs: config.KEY_VAULT_PACING_STORAGE_WAIT_MS,
          });
    byKey.set(key, pacer);
  }
  return pacer;
}
