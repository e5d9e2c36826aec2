// Least privilege: each role the code needs, assigned on the one resource it is needed on, and nothing else.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBicep, parseInfra, repoRoot, type Template } from "./bicep-syntax";
import { roleProblems } from "./contracts";

async function withReplaced(file: string, edit: (text: string) => string): Promise<Template[]> {
  const templates = await parseInfra();
  const path = join("infra", "app", file);
  const broken = await parseBicep(path, edit(readFileSync(join(repoRoot, path), "utf8")));
  return templates.map((t) => (t.file === path ? broken : t));
}

describe("role assignments", () => {
  it("grant exactly the roles the code needs, each at the narrowest scope", async () => {
    expect(roleProblems(await parseInfra())).toEqual([]);
  });

  it("fail when a role is missing", async () => {
    const templates = await withReplaced("rbac.bicep", (t) => t.replace(/^.*\/\/ Key Vault Crypto User$/m, ""));
    expect(roleProblems(templates)).toEqual(["missing: Key Vault Crypto User on Microsoft.KeyVault/vaults"]);
  });

  it("fail on a broader role (Contributor) and on the resource group as scope", async () => {
    const templates = await withReplaced("rbac.bicep", (t) =>
      t
        .replace(
          "'3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring",
          "'b24988ac-6180-42a0-ab88-20f7382dd24c' // Monitoring",
        )
        .replace(/scope: storageAccount\n/, "\n"),
    );
    expect(roleProblems(templates)).toEqual([
      "infra/app/rbac.bicep storageAssignments: assigned at the deployment's scope (resource group or subscription), not on a resource",
      "infra/app/rbac.bicep monitoringAssignments: Contributor on Microsoft.Insights/components is not a role the code needs there",
      "missing: Storage Blob Data Owner on Microsoft.Storage/storageAccounts",
      "missing: Storage Queue Data Contributor on Microsoft.Storage/storageAccounts",
      "missing: Storage Table Data Contributor on Microsoft.Storage/storageAccounts",
      "missing: Monitoring Metrics Publisher on Microsoft.Insights/components",
    ]);
  });

  it("fail on Network Contributor instead of the gateway's custom role", async () => {
    const templates = await withReplaced("gateway-access.bicep", (t) =>
      t.replace(
        "roleDefinitionId: gatewayRole.id",
        "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4d97b98b-1d4f-4787-a291-c67834d212e7')",
      ),
    );
    expect(roleProblems(templates)).toEqual([
      "infra/app/gateway-access.bicep gatewayAssignment: Network Contributor on Microsoft.Network/virtualNetworkGateways is not a role the code needs there",
      expect.stringMatching(
        /^missing: custom role \[Microsoft\.Network\/virtualNetworkGateways\/read, .*\] on Microsoft\.Network\/virtualNetworkGateways$/,
      ),
    ]);
  });

  it("fail on a custom role with one action more, or assigned on the resource group", async () => {
    const extra = await withReplaced("gateway-access.bicep", (t) =>
      t.replace(
        "  'Microsoft.Network/virtualNetworkGateways/write'\n",
        "  'Microsoft.Network/virtualNetworkGateways/write'\n  'Microsoft.Network/virtualNetworkGateways/delete'\n",
      ),
    );
    expect(roleProblems(extra)).toEqual([
      expect.stringMatching(
        /gatewayAssignment: custom role with \[.*virtualNetworkGateways\/delete.*\] on Microsoft\.Network\/virtualNetworkGateways is not exactly/,
      ),
      expect.stringMatching(/^missing: custom role .* on Microsoft\.Network\/virtualNetworkGateways$/),
    ]);
    const wide = await withReplaced("gateway-joins.bicep", (t) => t.replace("scope: subnet\n", "\n"));
    expect(roleProblems(wide)).toEqual([
      "infra/app/gateway-joins.bicep subnetAssignment: assigned at the deployment's scope (resource group or subscription), not on a resource",
      expect.stringMatching(/^missing: custom role .* on Microsoft\.Network\/virtualNetworks\/subnets$/),
    ]);
  });

  it("fail on roles handed out through an AVM module's roleAssignments", async () => {
    const templates = await withReplaced("vault.bicep", (t) =>
      t.replace(
        "    enableRbacAuthorization: true\n",
        "    enableRbacAuthorization: true\n    roleAssignments: [{ principalId: 'x', roleDefinitionIdOrName: 'Owner' }]\n",
      ),
    );
    expect(roleProblems(templates)).toEqual([
      "infra/app/vault.bicep vault: roleAssignments through a module; assign roles as resources (rbac.bicep)",
    ]);
  });
});
