// The one place credentials are built. P2S_CREDENTIAL=managedIdentity: ManagedIdentityCredential, user-assigned when
// AZURE_CLIENT_ID is set, else system-assigned. default: DefaultAzureCredential (developer sign-ins, workload and
// managed identity), whose managed identity step uses AZURE_CLIENT_ID. localEmulator: a fixed token, which config
// refuses unless every endpoint it could reach is on loopback.
import { UnsecuredJWT } from "jose";
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import type { AccessToken, TokenCredential } from "@azure/identity";
import type { Config } from "../config";

const LOCAL_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
const STORAGE_SCOPE = /^https:\/\/storage\.azure\.com\/?(\.default)?$/;
/** The local app's identity in its storage tokens: fixed, as a managed identity's object id is. */
export const LOCAL_APP_OBJECT_ID = "0c1e7a5d-0000-4000-8000-00000000a990";
export const LOCAL_TENANT_ID = "00000000-0000-4000-8000-000000000000";

/**
 * A bearer token the local emulators accept without checking a signature. The Key Vault, ARM and Graph emulators take
 * any bearer; Azurite with `--oauth basic` (needed for user delegation keys) decodes the token and checks what Entra
 * ID's storage tokens carry: a v1 issuer (sts.windows.net), the storage audience, nbf/exp, oid and tid.
 */
class LocalEmulatorCredential implements TokenCredential {
  getToken(scopes: string | string[]): Promise<AccessToken> {
    const expiresOnTimestamp = Date.now() + LOCAL_TOKEN_LIFETIME_MS;
    const list = typeof scopes === "string" ? [scopes] : scopes;
    if (!list.some((scope) => STORAGE_SCOPE.test(scope))) {
      return Promise.resolve({ token: "local-emulator-token", expiresOnTimestamp });
    }
    const nowSeconds = Math.floor(Date.now() / 1000);
    const token = new UnsecuredJWT({
      aud: "https://storage.azure.com",
      oid: LOCAL_APP_OBJECT_ID,
      sub: LOCAL_APP_OBJECT_ID,
      tid: LOCAL_TENANT_ID,
      appid: LOCAL_APP_OBJECT_ID,
      ver: "1.0",
    })
      .setIssuer(`https://sts.windows.net/${LOCAL_TENANT_ID}/`)
      .setIssuedAt(nowSeconds)
      .setNotBefore(nowSeconds - 60)
      .setExpirationTime(Math.floor(expiresOnTimestamp / 1000))
      .encode();
    return Promise.resolve({ token, expiresOnTimestamp });
  }
}

let cached: { key: string; credential: TokenCredential } | undefined;

export function getCredential(config: Pick<Config, "P2S_CREDENTIAL" | "AZURE_CLIENT_ID">): TokenCredential {
  const key = `${config.P2S_CREDENTIAL}|${config.AZURE_CLIENT_ID ?? ""}`;
  if (cached?.key === key) return cached.credential;
  const credential = buildCredential(config);
  cached = { key, credential };
  return credential;
}

function buildCredential(config: Pick<Config, "P2S_CREDENTIAL" | "AZURE_CLIENT_ID">): TokenCredential {
  switch (config.P2S_CREDENTIAL) {
    case "localEmulator":
      return new LocalEmulatorCredential();
    case "managedIdentity":
      return config.AZURE_CLIENT_ID === undefined
        ? new ManagedIdentityCredential()
        : new ManagedIdentityCredential({ clientId: config.AZURE_CLIENT_ID });
    case "default":
      return config.AZURE_CLIENT_ID === undefined
        ? new DefaultAzureCredential()
        : new DefaultAzureCredential({ managedIdentityClientId: config.AZURE_CLIENT_ID });
  }
}
