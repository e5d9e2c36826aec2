// The access-control settings: tokens required by default, with their tenant and audience; allowed domains required
// outside the sandbox.
import { ConfigError, parseConfig } from "../../../src/config";
import { baseEnv } from "../../support/env";

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.setting} ${p.message}`);
    throw error;
  }
  return [];
}

describe("access settings", () => {
  it("requires tokens by default, with the tenant and audiences they are checked against", () => {
    const config = parseConfig(baseEnv({ ENTRA_API_AUDIENCES: "api://p2s, 0f6e2c1a-1b2c-4d3e-8f90-123456789abc" }));
    expect(config.API_TOKENS_REQUIRED).toBe(true);
    expect(config.ENTRA_AUTHORITY_HOST).toBe("https://login.microsoftonline.com");
    expect(config.ENTRA_API_AUDIENCES).toEqual(["api://p2s", "0f6e2c1a-1b2c-4d3e-8f90-123456789abc"]);
    expect(problemsOf(baseEnv({ ENTRA_TENANT_ID: undefined, ENTRA_API_AUDIENCES: undefined }))).toEqual([
      "ENTRA_TENANT_ID is required while API_TOKENS_REQUIRED is true",
      "ENTRA_API_AUDIENCES is required while API_TOKENS_REQUIRED is true",
    ]);
  });

  it("lets a migration turn tokens off, and then needs no tenant", () => {
    const config = parseConfig(
      baseEnv({ API_TOKENS_REQUIRED: "false", ENTRA_TENANT_ID: undefined, ENTRA_API_AUDIENCES: undefined }),
    );
    expect(config.API_TOKENS_REQUIRED).toBe(false);
    expect(problemsOf(baseEnv({ API_TOKENS_REQUIRED: "no" }))).toEqual(["API_TOKENS_REQUIRED must be true or false"]);
  });

  it("takes the authority host as an https origin", () => {
    expect(
      parseConfig(baseEnv({ ENTRA_AUTHORITY_HOST: "https://login.microsoftonline.us/" })).ENTRA_AUTHORITY_HOST,
    ).toBe("https://login.microsoftonline.us");
    expect(problemsOf(baseEnv({ ENTRA_AUTHORITY_HOST: "http://login.example" }))).toEqual([
      "ENTRA_AUTHORITY_HOST must be an https:// URL",
    ]);
  });

  it("requires ALLOWED_UPN_DOMAINS outside the sandbox, lower-cased DNS names", () => {
    expect(problemsOf(baseEnv({ ALLOWED_UPN_DOMAINS: undefined }))).toEqual([
      "ALLOWED_UPN_DOMAINS is required unless P2S_CREDENTIAL=localEmulator",
    ]);
    expect(parseConfig(baseEnv({ ALLOWED_UPN_DOMAINS: "Contoso.com; fabrikam.co.uk" })).ALLOWED_UPN_DOMAINS).toEqual([
      "contoso.com",
      "fabrikam.co.uk",
    ]);
    expect(problemsOf(baseEnv({ ALLOWED_UPN_DOMAINS: "contoso.com,@evil" }))).toEqual([
      "ALLOWED_UPN_DOMAINS.1 must be DNS domain names",
    ]);
    const local = {
      P2S_CREDENTIAL: "localEmulator",
      KEY_VAULT_URL: "https://127.0.0.1:8443",
      ARM_ENDPOINT: "https://127.0.0.1:8444",
      GRAPH_ENDPOINT: "https://127.0.0.1:8445",
      ALLOWED_UPN_DOMAINS: undefined,
    };
    expect(parseConfig(baseEnv(local)).ALLOWED_UPN_DOMAINS).toEqual([]);
  });
});
