// The one place credentials are built. P2S_CREDENTIAL=managedIdentity: ManagedIdentityCredential, user-assigned when
// AZURE_CLIENT_ID is set, else system-assigned. default: DefaultAzureCredential (developer sign-ins, workload and
// managed identity), whose managed identity step uses AZURE_CLIENT_ID. localEmulator: a fixed token, which config
// refuses unless every endpoint it could reach is on loopback.
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import type { AccessToken, TokenCredential } from "@azure/identity";
import type { Config } from "../config";

const LOCAL_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/** A constant bearer token: the local emulators require one but do not check it. */
class LocalEmulatorCredential implements TokenCredential {
  getToken(): Promise<AccessToken> {
    return Promise.resolve({ token: "local-emulator-token", expiresOnTimestamp: Date.now() + LOCAL_TOKEN_LIFETIME_MS });
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
