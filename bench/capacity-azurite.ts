// bench:capacity's storage: one in-memory Azurite for the run (no sandbox: the simulation needs only the ledger).
import { startAzurite } from "../dev/azurite";
import { Ledger } from "../src/clients/ledger";

export interface BenchStorage {
  readonly connectionString: string;
  /** A ledger of its own, on tables named with `prefix`. */
  ledger(prefix: string): Ledger;
}

export async function withAzurite(body: (storage: BenchStorage) => Promise<void>): Promise<void> {
  const azurite = await startAzurite();
  const connectionString = azurite.connectionString;
  try {
    await body({
      connectionString,
      ledger: (prefix) =>
        Ledger.fromConfig({
          AzureWebJobsStorage: connectionString,
          LEDGER_TABLE_PREFIX: prefix,
          P2S_CREDENTIAL: "default",
        }),
    });
  } finally {
    await azurite.stop();
  }
}
