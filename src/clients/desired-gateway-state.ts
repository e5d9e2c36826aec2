// Reads what every gateway must hold right now: the CA root from Key Vault and the ledger's revocations.
import type { Config } from "../config";
import type { KeyVaultClients } from "./keyvault";
import { getRootCa } from "./key-vault-ca";
import type { Ledger } from "./ledger";
import type { DesiredState, RootEntry } from "../domain/gateway-config";
import { revocationWindow } from "../domain/revocation-window";

export interface DesiredGatewayState {
  readonly desired: DesiredState;
  /** UPN (lower case) of each revoked, unexpired thumbprint, to find the sessions to end. */
  readonly revokedUsers: Readonly<Record<string, string>>;
  /** Why the managed root is missing from `desired` although one may exist (Key Vault unreachable). */
  readonly rootError?: string;
}

export async function loadDesiredGatewayState(
  config: Pick<Config, "CA_ROOT_NAME" | "GATEWAY_PRUNE_MARGIN_HOURS">,
  ledger: Ledger,
  keyVault: KeyVaultClients,
  now: Date,
): Promise<DesiredGatewayState> {
  const revoked = await ledger.listByStatus("revoked");
  const window = revocationWindow(revoked, now, config.GATEWAY_PRUNE_MARGIN_HOURS * 3_600_000);
  // No root yet (before the first bootstrap), or Key Vault unreachable: revocations are still applied, and the
  // roots already on the gateway are kept as they are (the planner never removes a root).
  let roots: RootEntry[] = [];
  let rootError: string | undefined;
  try {
    const root = await getRootCa(keyVault, config);
    if (root !== undefined) roots = [{ name: root.name, publicCertData: root.publicCertData }];
  } catch (error) {
    rootError = `the CA root could not be read from Key Vault: ${error instanceof Error ? error.message : String(error)}`;
  }
  return {
    desired: { roots, revokedThumbprints: window.revokedThumbprints, expiredThumbprints: window.expiredThumbprints },
    revokedUsers: window.revokedUsers,
    ...(rootError === undefined ? {} : { rootError }),
  };
}
