// Starts one in-memory Azurite for the whole run; workers find it through P2S_TEST_AZURITE.
import { startAzurite } from "../../dev/azurite";
import type { AzuriteHandle } from "../../dev/azurite";

declare global {
  var __P2S_AZURITE__: AzuriteHandle | undefined;
}

export default async function globalSetup(): Promise<void> {
  const azurite = await startAzurite();
  globalThis.__P2S_AZURITE__ = azurite;
  process.env.P2S_TEST_AZURITE = azurite.connectionString;
}
