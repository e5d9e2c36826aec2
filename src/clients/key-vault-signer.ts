// The CA's signer over a Key Vault key: only the digest crosses the wire, the private key never leaves the vault.
import type { KeyVaultClients } from "./keyvault";
import type { Signer } from "../domain/signer";

export function keyVaultSigner(kv: KeyVaultClients, keyId: string): Signer {
  return {
    algorithm: "RS256",
    sign: async (digest) => new Uint8Array((await kv.cryptography(keyId).sign("RS256", digest)).result),
  };
}
