// The Key Vault of the root CA, the client certificates and the app's secrets: RBAC authorization, soft delete and
// purge protection (the CA key must survive a mistaken delete).

@description('Required. Name of the vault.')
param name string

@description('Optional. Region.')
param location string = resourceGroup().location

@description('Optional. Tags.')
param tags object = {}

@secure()
@description('Required. Shared secret of the ticketing system (TICKETING_SHARED_SECRET).')
param ticketingSharedSecret string

var ticketingSecretName = 'ticketing-shared-secret'

module vault 'br/public:avm/res/key-vault/vault:0.14.0' = {
  name: 'vault'
  params: {
    name: name
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enableVaultForDeployment: false
    enableVaultForDiskEncryption: false
    enableVaultForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    secrets: [
      {
        name: ticketingSecretName
        value: ticketingSharedSecret
      }
    ]
  }
}

@description('Name of the vault.')
output name string = vault.outputs.name

@description('URI of the vault.')
output uri string = vault.outputs.uri

@description('Name of the secret that holds the ticketing shared secret.')
output ticketingSecretName string = ticketingSecretName
