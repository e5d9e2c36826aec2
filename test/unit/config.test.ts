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

  it("takes ticket callback origins, normalised, and refuses anything more than an https origin", () => {
    const config = parseConfig(
      baseEnv({ TICKETING_CALLBACK_ALLOWLIST: "https://Tickets.Contoso.com, https://itsm.contoso.com:8443/" }),
    );
    expect(config.TICKETING_CALLBACK_ALLOWLIST).toEqual([
      "https://tickets.contoso.com",
      "https://itsm.contoso.com:8443",
    ]);
    for (const bad of [
      "https://tickets.contoso.com/api/callback",
      "https://tickets.contoso.com/?x=1",
      "https://user:pw@tickets.contoso.com",
      "http://tickets.contoso.com",
      "tickets.contoso.com",
    ]) {
      // The problem names the setting and the entry's position in the list.
      expect(problemsOf(baseEnv({ TICKETING_CALLBACK_ALLOWLIST: bad }))).toEqual(["TICKETING_CALLBACK_ALLOWLIST.0"]);
    }
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

  it("refuses the local emulator credential with any non-loopback endpoint it would send its token to", () => {
    expect(problemsOf(baseEnv({ P2S_CREDENTIAL: "localEmulator" }))).toEqual([
      "KEY_VAULT_URL",
      "ARM_ENDPOINT",
      "GRAPH_ENDPOINT",
    ]);
    const local = {
      P2S_CREDENTIAL: "localEmulator",
      KEY_VAULT_URL: "https://127.0.0.1:8443",
      ARM_ENDPOINT: "https://127.0.0.1:8444",
      GRAPH_ENDPOINT: "https://[::1]:8445",
    };
    expect(parseConfig(baseEnv(local)).GRAPH_ENDPOINT).toBe("https://[::1]:8445");
    expect(problemsOf(baseEnv({ ...local, GRAPH_ENDPOINT: "https://graph.microsoft.com" }))).toEqual([
      "GRAPH_ENDPOINT",
    ]);
  });

  it("refuses the local emulator credential with identity-based storage on a real account", () => {
    const local = {
      P2S_CREDENTIAL: "localEmulator",
      KEY_VAULT_URL: "https://127.0.0.1:8443",
      ARM_ENDPOINT: "https://127.0.0.1:8444",
      GRAPH_ENDPOINT: "https://127.0.0.1:8445",
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__blobServiceUri: "https://st.blob.core.windows.net",
      AzureWebJobsStorage__tableServiceUri: "https://st.table.core.windows.net",
    };
    expect(problemsOf(baseEnv(local))).toEqual([
      "AzureWebJobsStorage__blobServiceUri",
      "AzureWebJobsStorage__tableServiceUri",
    ]);
    // A connection string carries its own key: the credential never reaches storage then.
    expect(parseConfig(baseEnv({ ...local, AzureWebJobsStorage: "UseDevelopmentStorage=true" })).P2S_CREDENTIAL).toBe(
      "localEmulator",
    );
  });

  it("reports a malformed KEY_VAULT_URL with the other bad settings in one ConfigError", () => {
    let thrown: unknown;
    try {
      parseConfig(baseEnv({ KEY_VAULT_URL: "notaurl", CA_ROOT_KEY_SIZE: "1024" }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.problems.map((p) => p.setting)).toEqual(["KEY_VAULT_URL", "CA_ROOT_KEY_SIZE"]);
    expect(error.message).toMatch(/^Invalid configuration: KEY_VAULT_URL .*; CA_ROOT_KEY_SIZE must be 2048/);
  });

  it("runs every cross-setting rule even when other settings are missing or malformed", () => {
    // Without KEY_VAULT_URL and with a non-number, zod would skip the refinements: their findings must still appear.
    expect(
      problemsOf({
        CLIENT_CERT_VALIDITY_DAYS: "10",
        CLIENT_RENEWAL_DAYS: "10",
        CA_ROOT_VALIDITY_YEARS: "ten",
        P2S_CREDENTIAL: "localEmulator",
        ARM_ENDPOINT: "not a url",
      }),
    ).toEqual(
      expect.arrayContaining([
        "AzureWebJobsStorage",
        "KEY_VAULT_URL",
        "CA_ROOT_VALIDITY_YEARS",
        "CLIENT_RENEWAL_DAYS",
        "ARM_ENDPOINT",
        "GRAPH_ENDPOINT",
      ]),
    );
  });

  it("does not pile a cross-setting finding on a setting that is already invalid", () => {
    const problems = problemsOf(
      baseEnv({ P2S_CREDENTIAL: "localEmulator", KEY_VAULT_URL: "notaurl", ARM_ENDPOINT: "https://127.0.0.1:1" }),
    );
    expect(problems.filter((setting) => setting === "KEY_VAULT_URL")).toHaveLength(1);
    expect(problems).toEqual(["KEY_VAULT_URL", "GRAPH_ENDPOINT"]);
    expect(problemsOf(baseEnv({ CLIENT_CERT_VALIDITY_DAYS: "0", CLIENT_RENEWAL_DAYS: "14" }))).toEqual([
      "CLIENT_CERT_VALIDITY_DAYS",
    ]);
  });

  it("says 'is required' only for settings that are absent", () => {
    const messages = (() => {
      try {
        parseConfig(baseEnv({ CLIENT_CERT_VALIDITY_DAYS: "abc", KEY_VAULT_URL: undefined }));
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
      }
      return [];
    })();
    expect(messages.find((p) => p.setting === "KEY_VAULT_URL")?.message).toBe("is required");
    const days = messages.find((p) => p.setting === "CLIENT_CERT_VALIDITY_DAYS")?.message;
    expect(days).toBeDefined();
    expect(days).not.toBe("is required");
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
