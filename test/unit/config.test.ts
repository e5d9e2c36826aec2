import { ConfigError, parseConfig } from "../../src/config";
import { baseEnv } from "../support/env";

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.setting);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("applies the documented defaults", () => {
    const config = parseConfig(baseEnv());
    expect(config.CA_ROOT_KEY_SIZE).toBe(4096);
    expect(config.CA_ROOT_VALIDITY_YEARS).toBe(10);
    expect(config.CLIENT_CERT_VALIDITY_DAYS).toBe(180);
    expect(config.CLIENT_CERT_KEY_SIZE).toBe(2048);
    expect(config.PFX_ENCRYPTION).toBe("aes256");
    expect(config.P2S_TASK_HUB).toBe("p2slifecycle");
    expect(config.ARM_ENDPOINT).toBe("https://management.azure.com");
    expect(config.KEY_VAULT_DNS_SUFFIX).toBe("vault.azure.net");
    expect(config.P2S_CREDENTIAL).toBe("default");
    expect(config.TICKETING_CALLBACK_ALLOWLIST).toEqual([]);
  });

  it("returns a frozen object", () => {
    const config = parseConfig(baseEnv());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.GATEWAY_RESOURCE_IDS)).toBe(true);
  });

  it("parses several gateway ids", () => {
    const a =
      "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/a";
    const b =
      "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworkGateways/b";
    expect(parseConfig(baseEnv({ GATEWAY_RESOURCE_IDS: `${a}, ${b}` })).GATEWAY_RESOURCE_IDS).toEqual([a, b]);
  });

  it("names every missing setting in one error", () => {
    const error = (() => {
      try {
        parseConfig({});
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain("KEY_VAULT_URL is required");
    expect(message).toContain("AzureWebJobsStorage is required");
  });

  it("names every invalid setting", () => {
    const problems = problemsOf(
      baseEnv({
        KEY_VAULT_URL: "http://contoso.vault.azure.net",
        CA_ROOT_KEY_SIZE: "1024",
        CLIENT_CERT_VALIDITY_DAYS: "abc",
        GATEWAY_RESOURCE_IDS: "/subscriptions/x/gateway",
        ENTRA_VPN_GROUP_ID: "not-a-guid",
        TICKETING_SHARED_SECRET: "short",
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        "KEY_VAULT_URL",
        "CA_ROOT_KEY_SIZE",
        "CLIENT_CERT_VALIDITY_DAYS",
        "GATEWAY_RESOURCE_IDS.0",
        "ENTRA_VPN_GROUP_ID",
        "TICKETING_SHARED_SECRET",
      ]),
    );
  });

  it("accepts only RSA key sizes the gateway supports", () => {
    expect(parseConfig(baseEnv({ CA_ROOT_KEY_SIZE: "3072" })).CA_ROOT_KEY_SIZE).toBe(3072);
    expect(problemsOf(baseEnv({ CLIENT_CERT_KEY_SIZE: "2047" }))).toEqual(["CLIENT_CERT_KEY_SIZE"]);
  });

  it("requires the vault to sit under the cloud's DNS suffix unless it is a local emulator", () => {
    expect(problemsOf(baseEnv({ KEY_VAULT_URL: "https://evil.example.com" }))).toEqual(["KEY_VAULT_URL"]);
    expect(
      parseConfig(
        baseEnv({
          KEY_VAULT_URL: "https://kv.vault.usgovcloudapi.net",
          KEY_VAULT_DNS_SUFFIX: "vault.usgovcloudapi.net",
        }),
      ).KEY_VAULT_URL,
    ).toBe("https://kv.vault.usgovcloudapi.net");
    expect(parseConfig(baseEnv({ KEY_VAULT_URL: "https://127.0.0.1:8443" })).KEY_VAULT_URL).toBe(
      "https://127.0.0.1:8443",
    );
  });

  it("refuses the local emulator credential with non-loopback endpoints", () => {
    expect(problemsOf(baseEnv({ P2S_CREDENTIAL: "localEmulator" }))).toEqual(
      expect.arrayContaining(["KEY_VAULT_URL", "ARM_ENDPOINT"]),
    );
  });

  it("requires the table URI with identity-based storage", () => {
    expect(
      problemsOf(
        baseEnv({
          AzureWebJobsStorage: undefined,
          AzureWebJobsStorage__blobServiceUri: "https://st.blob.core.windows.net",
        }),
      ),
    ).toEqual(["AzureWebJobsStorage__tableServiceUri"]);
  });

  it("keeps renewal inside the validity", () => {
    expect(problemsOf(baseEnv({ CLIENT_CERT_VALIDITY_DAYS: "10", CLIENT_RENEWAL_DAYS: "10" }))).toEqual([
      "CLIENT_RENEWAL_DAYS",
    ]);
  });

  it("ignores variables that are not settings", () => {
    expect(Object.keys(parseConfig(baseEnv({ PATH: "/usr/bin" })))).not.toContain("PATH");
  });
});
