// A minimal valid app configuration for tests, overridable per test.

/** The access-control settings every configuration outside the sandbox needs (tenant, audience, domains). */
export const TEST_ACCESS_SETTINGS = {
  ENTRA_TENANT_ID: "3f1c6a2e-5b7d-4c1e-9a8f-2d4b6c8e0a1f",
  ENTRA_API_AUDIENCES: "api://p2s-lifecycle",
  ALLOWED_UPN_DOMAINS: "contoso.com",
} as const;

export function baseEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    KEY_VAULT_URL: "https://contoso-p2s.vault.azure.net",
    GATEWAY_RESOURCE_IDS:
      "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vgw-hub",
    ...TEST_ACCESS_SETTINGS,
    ...overrides,
  };
}
