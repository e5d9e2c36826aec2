// A minimal valid app configuration for tests, overridable per test.
export function baseEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    KEY_VAULT_URL: "https://contoso-p2s.vault.azure.net",
    GATEWAY_RESOURCE_IDS:
      "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vgw-hub",
    ...overrides,
  };
}
