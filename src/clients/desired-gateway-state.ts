// Reads what every gateway must hold right now: the CA root from Key Vault and the ledger's revocations.
import type { Config } from "../config";
import type { KeyVaultClients } from "./keyvault";
import { getRootCa } from "./key-vault-ca";
import type { Ledger } from "./ledger";
import type { DesiredState, RootEntry } from "../domain/gateway-config";
import { revokedThumbprints } from "../domain/ledger";

export interface DesiredGatewayState {
  readonly desired: DesiredState;
  /** UPN (lower case) of each revoked, unexpired thumbprint, to find the sessions to end. */
  readonly revokedUsers: Readonly<Record<string, string>>;
  /** Why the managed root is missing from `desired` although one may exist (Key Vault unreachable). */
  readonly rootError?: string;
}

export async function loadDesiredGatewayState(
  config: Pick<Config, "CA_ROOT_NAME">,
  ledger: Ledger,
  keyVault: KeyVaultClients,
  now: Date,
): Promise<DesiredGatewayState> {
  const revoked = await ledger.listByStatus("revoked");
  const revokedUsers: Record<string, string> = {};
  const expiredThumbprints: string[] = [];
  for (const r of revoked) {
    if (r.thumbprint === undefined) continue;
    if (r.notAfter !== undefined && r.notAfter.getTime() <= now.getTime()) expiredThumbprints.push(r.thumbprint);
    else revokedUsers[r.thumbprint] = r.userKey;
  }
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
    desired: { roots, revokedThumbprints: revokedThumbprints(revoked, now), expiredThumbprints },
    revokedUsers,
    ...(rootError === undefined ? {} : { rootError }),
  };
}
