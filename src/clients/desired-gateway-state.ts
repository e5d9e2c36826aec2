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
  // No root yet (before the first bootstrap): revocations are still applied.
  const root = await getRootCa(keyVault, config);
  const roots: RootEntry[] = root === undefined ? [] : [{ name: root.name, publicCertData: root.publicCertData }];
  return {
    desired: { roots, revokedThumbprints: revokedThumbprints(revoked, now), expiredThumbprints },
    revokedUsers,
  };
}
