// The built-in roles the app's identity needs, each on the one resource it is needed on (never the resource group).
// Role ids: learn.microsoft.com role-based-access-control/built-in-roles.

@description('Required. Principal (object) id of the app\'s user-assigned identity.')
param principalId string

@description('Required. Name of the app\'s Key Vault.')
param keyVaultName string

@description('Required. Name of the app\'s storage account.')
param storageAccountName string

@description('Required. Name of the app\'s Application Insights component.')
param applicationInsightsName string

// Certificates Officer: create, merge, import and delete certificates (root CA, client certificates).
// Crypto User: sign with the CA's key (keys/sign) without the key leaving the vault.
// Secrets User: read certificate secrets (exportable client PFX), the RADIUS secret, Key Vault references.
var vaultRoles = [
  'a4417e6f-fecd-4de8-b567-7b0420556985' // Key Vault Certificates Officer
  '12338af0-0e69-4776-bea7-57ae8d297424' // Key Vault Crypto User
  '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
]

// Blob Data Owner: the host's leases and the Flex deployment package, profile blobs, user-delegation keys.
// Queue and Table Data Contributor: the Durable task hub, the HR events queue, the ledger tables.
var storageRoles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
]

// Monitoring Metrics Publisher: telemetry with an Entra token (local authentication is off).
var monitoringRoles = [
  '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
]

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vaultAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in vaultRoles: {
    name: guid(vault.id, principalId, roleId)
    scope: vault
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storageAccount.id, principalId, roleId)
    scope: storageAccount
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource monitoringAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in monitoringRoles: {
    name: guid(applicationInsights.id, principalId, roleId)
    scope: applicationInsights
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]
