// Reads what every gateway must hold right now: the CA root from Key Vault and the ledger's revocations.
import { RestError } from "@azure/core-rest-pipeline";
import type { Config } from "../config";
import type { KeyVaultClients } from "./keyvault";
import type { Ledger } from "./ledger";
import type { DesiredState, RootEntry } from "../domain/gateway-config";
import { revokedThumbprints } from "../domain/ledger";
import { toGatewayCertData } from "../domain/pem";

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
  const roots: RootEntry[] = [];
  try {
    const root = await keyVault.certificates.getCertificate(config.CA_ROOT_NAME);
    if (root.cer !== undefined && root.properties.enabled !== false) {
      roots.push({ name: config.CA_ROOT_NAME, publicCertData: toGatewayCertData(new Uint8Array(root.cer)) });
    }
  } catch (error) {
    // No root yet (before the first bootstrap): revocations are still applied.
    if (!(error instanceof RestError && error.statusCode === 404)) throw error;
  }
  return {
    desired: { roots, revokedThumbprints: revokedThumbprints(revoked, now), expiredThumbprints },
    revokedUsers,
  };
}
