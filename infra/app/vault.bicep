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

@secure()
@description('Optional. The previous ticketing secret, accepted beside the current one during a rotation (TICKETING_SHARED_SECRET_PREVIOUS); empty when no rotation is under way.')
param ticketingSharedSecretPrevious string = ''

@secure()
@description('Optional. The clientState Graph change notifications must carry (ENTRA_NOTIFICATION_CLIENT_STATE, 32 to 128 characters); empty while Entra events are off.')
param entraNotificationClientState string = ''

var ticketingSecretName = 'ticketing-shared-secret'
var ticketingPreviousSecretName = 'ticketing-shared-secret-previous'
var entraClientStateSecretName = 'entra-notification-client-state'

// A Key Vault reference to a secret that does not exist resolves to its own text, so an optional secret is only
// created, and only referenced (api.bicep), when it has a value.
var optionalSecrets = concat(
  empty(ticketingSharedSecretPrevious) ? [] : [{ name: ticketingPreviousSecretName, value: ticketingSharedSecretPrevious }],
  empty(entraNotificationClientState) ? [] : [{ name: entraClientStateSecretName, value: entraNotificationClientState }]
)

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
    secrets: concat(
      [
        {
          name: ticketingSecretName
          value: ticketingSharedSecret
        }
      ],
      optionalSecrets
    )
  }
}

@description('Name of the vault.')
output name string = vault.outputs.name

@description('URI of the vault.')
output uri string = vault.outputs.uri

@description('Name of the secret that holds the ticketing shared secret.')
output ticketingSecretName string = ticketingSecretName

@description('Name of the secret that holds the previous ticketing secret; empty when none is stored.')
output ticketingPreviousSecretName string = empty(ticketingSharedSecretPrevious) ? '' : ticketingPreviousSecretName

@description('Name of the secret that holds the Graph notifications clientState; empty when none is stored.')
output entraClientStateSecretName string = empty(entraNotificationClientState) ? '' : entraClientStateSecretName
