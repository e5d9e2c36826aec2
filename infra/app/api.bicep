// The function app: Flex Consumption, Node 22, running as the user-assigned identity, with identity-based storage
// and every setting of src/config.ts (test/unit/infra/app-settings.test.ts keeps the two in step).
// Syntax note: no spread (`...`): tree-sitter-bicep 1.1.0, which the tests parse with, does not parse it.

@description('Required. Name of the function app.')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Optional. Region.')
param location string = resourceGroup().location

@description('Optional. Tags; azd-service-name is added.')
param tags object = {}

@description('Required. Resource id of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Required. Client id of that identity.')
param identityClientId string

@description('Required. Name of the app\'s storage account.')
param storageAccountName string

@description('Required. Blob container of the deployment package.')
param deploymentContainerName string

@description('Required. Connection string of Application Insights.')
param applicationInsightsConnectionString string

@description('Required. Name of the Key Vault.')
param keyVaultName string

@description('Required. Name of the Key Vault secret that holds the ticketing shared secret.')
param ticketingSecretName string

@description('Optional. Name of the Key Vault secret that holds the previous ticketing secret; empty when none.')
param ticketingPreviousSecretName string = ''

@description('Optional. Name of the Key Vault secret that holds the Graph notifications clientState; empty when none.')
param entraClientStateSecretName string = ''

@description('Optional. Whether Entra ID events onboard and offboard members of the VPN group (true or false).')
@allowed(['true', 'false'])
param entraEventsEnabled string = 'false'

@description('Optional. Whether a root rotation starts by itself when a gateway\'s revocation list fills (ROOT_ROTATION_AUTO: true or false).')
@allowed(['true', 'false'])
param rootRotationAuto string = 'false'

@description('Optional. Where Graph sends change notifications: the app\'s https webhook or an EventGrid:?... partner topic URL.')
param entraNotificationUrl string = ''

@description('Optional. Payload of alert webhook posts: generic, teams or slack.')
@allowed(['generic', 'teams', 'slack'])
param alertWebhookFormat string = 'generic'

@description('Required. Comma-separated resource ids of the VPN gateways.')
param gatewayResourceIds string

@description('Required. Entra ID tenant whose tokens the API accepts.')
param entraTenantId string

@description('Required. Comma-separated audiences of the app registration.')
param entraApiAudiences string

@description('Required. Comma-separated UPN domains certificates may be issued for.')
param allowedUpnDomains string

@description('Optional. Object id of the Entra ID VPN group.')
param entraVpnGroupId string = ''

@description('Optional. Comma-separated https origins for ticket callbacks.')
param ticketingCallbackAllowlist string = ''

@description('Optional. https webhook for alerts.')
param alertWebhookUrl string = ''

@description('Optional. Microsoft Graph endpoint of the cloud.')
param graphEndpoint string = 'https://graph.microsoft.com'

@description('Optional. Instance memory of the Flex plan, in MB.')
param instanceMemoryMB int = 2048

@description('Optional. Most instances Flex scales the app to.')
param maximumInstanceCount int = 40

var storageSuffix = environment().suffixes.storage
var vaultDns = environment().suffixes.keyvaultDns
var armRoot = environment().resourceManager
var armEndpoint = endsWith(armRoot, '/') ? substring(armRoot, 0, length(armRoot) - 1) : armRoot
var vaultUrl = 'https://${keyVaultName}${vaultDns}'

// A Key Vault reference, resolved by the platform with the user-assigned identity (keyVaultAccessIdentityResourceId)
// and the vault's Secrets User role: the secret value never passes through the template or the app settings.
var ticketingSecretReference = '@Microsoft.KeyVault(SecretUri=${vaultUrl}/secrets/${ticketingSecretName})'
var ticketingPreviousReference = empty(ticketingPreviousSecretName)
  ? ''
  : '@Microsoft.KeyVault(SecretUri=${vaultUrl}/secrets/${ticketingPreviousSecretName})'
var entraClientStateReference = empty(entraClientStateSecretName)
  ? ''
  : '@Microsoft.KeyVault(SecretUri=${vaultUrl}/secrets/${entraClientStateSecretName})'

// The app settings, one per setting of src/config.ts and its parts (src/config-*.ts), except those only used on a
// developer's machine (AzureWebJobsStorage connection string, P2S_TRUSTED_CA_FILE), plus the platform's own
// (APPLICATIONINSIGHTS_*, AzureWebJobsStorage__credential/__clientId). Values that only tune behaviour are the
// schema's defaults, written out so that the deployed configuration can be read here.
var appSettings = {
  // Platform: identity-based host storage (Durable Functions needs blob, queue and table) and telemetry.
  AzureWebJobsStorage__blobServiceUri: 'https://${storageAccountName}.blob.${storageSuffix}'
  AzureWebJobsStorage__queueServiceUri: 'https://${storageAccountName}.queue.${storageSuffix}'
  AzureWebJobsStorage__tableServiceUri: 'https://${storageAccountName}.table.${storageSuffix}'
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // Identity and endpoints.
  P2S_TASK_HUB: 'p2slifecycle'
  AZURE_CLIENT_ID: identityClientId
  P2S_CREDENTIAL: 'managedIdentity'
  KEY_VAULT_URL: vaultUrl
  KEY_VAULT_DNS_SUFFIX: substring(vaultDns, 1)
  ARM_ENDPOINT: armEndpoint
  ARM_AUDIENCE: '${armEndpoint}/.default'
  GRAPH_ENDPOINT: graphEndpoint
  GRAPH_AUDIENCE: '${graphEndpoint}/.default'
  GRAPH_THROTTLE_MAX_WAIT_MS: '120000'
  // Certificates.
  CA_ROOT_NAME: 'p2s-root-ca'
  CA_ROOT_SUBJECT: 'CN=P2S Root CA, O=p2s-lifecycle'
  CA_ROOT_KEY_SIZE: '4096'
  CA_ROOT_VALIDITY_YEARS: '10'
  CLIENT_CERT_KEY_SIZE: '2048'
  CLIENT_CERT_VALIDITY_DAYS: '180'
  CLIENT_CERT_NAME_PREFIX: 'p2s-user'
  KEY_VAULT_CERTIFICATE_CREATES_PER_10S: '20'
  // One budget for every instance the plan scales out to (slots in the <prefix>Pacing table).
  KEY_VAULT_CREATE_PACING: 'shared'
  KEY_VAULT_PACING_CLOCK_SKEW_MS: '250'
  KEY_VAULT_PACING_STORAGE_WAIT_MS: '60000'
  PFX_ENCRYPTION: 'aes256'
  // Gateways.
  GATEWAY_RESOURCE_IDS: gatewayResourceIds
  GATEWAY_RECONCILE_SCHEDULE: '0 */5 * * * *'
  GATEWAY_BUSY_BACKOFF_MS: '15000'
  GATEWAY_POLL_INTERVAL_MS: '10000'
  GATEWAY_COALESCE_MS: '5000'
  GATEWAY_BUSY_ALERT_MS: '1800000'
  GATEWAY_PRUNE_MARGIN_HOURS: '24'
  GATEWAY_RADIUS_SECRET_NAME: ''
  // Storage names (infra/app/storage.bicep creates them with the same defaults).
  LEDGER_TABLE_PREFIX: 'p2s'
  PROFILE_CONTAINER: 'vpn-profiles'
  HR_EVENTS_QUEUE: 'hr-events'
  DELIVERY_CONTAINER: 'p2s-deliveries'
  // Links are user-delegation SAS of the app's own account, made with its identity.
  DELIVERY_BLOB_SERVICE_URI: 'https://${storageAccountName}.blob.${storageSuffix}'
  DELIVERY_LINK_HOURS: '72'
  // Profiles.
  PROFILES_ENABLED: 'true'
  PROFILE_DEBOUNCE_MS: '30000'
  PROFILE_VERSIONS_KEPT: '5'
  PROFILE_REFRESH_SCHEDULE: '0 0 3 * * 1'
  PROFILE_DOWNLOAD_HOSTS: '*.blob.core.windows.net'
  PROFILE_DOWNLOAD_MAX_BYTES: '4194304'
  PROFILE_DOWNLOAD_TIMEOUT_MS: '30000'
  PROFILE_LINK_SECONDS: '900'
  // Ticketing and alerts.
  TICKETING_SHARED_SECRET: ticketingSecretReference
  TICKETING_SHARED_SECRET_PREVIOUS: ticketingPreviousReference
  TICKETING_CALLBACK_ALLOWLIST: ticketingCallbackAllowlist
  TICKETING_CALLBACK_MAX_HOURS: '24'
  TICKETING_CALLBACK_TIMEOUT_MS: '10000'
  ALERT_WEBHOOK_URL: alertWebhookUrl
  ALERT_WEBHOOK_FORMAT: alertWebhookFormat
  // Expiry and renewal.
  EXPIRY_CHECK_SCHEDULE: '0 0 6 * * *'
  EXPIRY_ALERT_THRESHOLDS_DAYS: '90,30,14,7,1'
  REVOCATION_CAPACITY_ALERT_PERCENT: '80'
  ROOT_ROTATION_AUTO: rootRotationAuto
  REVOCATION_PRUNE_LOOKBACK_DAYS: '30'
  CLIENT_EXPIRY_WARNING_DAYS: '21'
  CLIENT_RENEWAL_DAYS: '14'
  // Root rotation (POST /api/v1/roots/rotations; scheduled before the current root expires).
  ROOT_ROTATION_GRACE_DAYS: '14'
  ROOT_ROTATION_RETIRE_AT_PERCENT: '95'
  ROOT_ROTATION_BEFORE_EXPIRY_DAYS: '90'
  ROOT_ROTATION_BATCH_SIZE: '20'
  ROOT_ROTATION_POLL_SECONDS: '60'
  ROOT_ROTATION_COLLECTION_CHECK_MINUTES: '60'
  ROOT_ROTATION_GATEWAY_DEADLINE_HOURS: '24'
  // Access control.
  ENTRA_TENANT_ID: entraTenantId
  ENTRA_API_AUDIENCES: entraApiAudiences
  ENTRA_AUTHORITY_HOST: environment().authentication.loginEndpoint
  API_TOKENS_REQUIRED: 'true'
  ALLOWED_UPN_DOMAINS: allowedUpnDomains
  ENTRA_VPN_GROUP_ID: entraVpnGroupId
  // Entra ID events.
  ENTRA_EVENTS_ENABLED: entraEventsEnabled
  ENTRA_NOTIFICATION_CLIENT_STATE: entraClientStateReference
  ENTRA_NOTIFICATION_URL: entraNotificationUrl
  ENTRA_SUBSCRIPTIONS_SCHEDULE: '0 7 */6 * * *'
  ENTRA_SUBSCRIPTION_RENEW_HOURS: '72'
  ENTRA_RECONCILE_SCHEDULE: '0 23 * * * *'
  // Health and self-service.
  HEALTH_CHECK_TIMEOUT_MS: '5000'
  HEALTH_CACHE_MS: '5000'
  MAX_ACTIVE_CERTIFICATES_PER_USER: '3'
  SELF_SERVICE_WAIT_MS: '20000'
}


module plan 'br/public:avm/res/web/serverfarm:0.7.0' = {
  name: 'plan'
  params: {
    name: planName
    location: location
    tags: tags
    kind: 'functionapp'
    skuName: 'FC1'
    reserved: true
    zoneRedundant: false
  }
}

module site 'br/public:avm/res/web/site:0.24.0' = {
  name: 'site'
  params: {
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    kind: 'functionapp,linux'
    serverFarmResourceId: plan.outputs.resourceId
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    managedIdentities: { userAssignedResourceIds: [identityResourceId] }
    keyVaultAccessIdentityResourceId: identityResourceId
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: 'https://${storageAccountName}.blob.${storageSuffix}/${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // Durable Functions on Flex: one instance of the `durable` group always ready, so orchestrations and
        // activities are picked up without waiting for a scale-out from zero.
        alwaysReady: [
          {
            name: 'durable'
            instanceCount: 1
          }
        ]
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    configs: [
      {
        name: 'appsettings'
        // Replace, never merge: a setting removed here must disappear from the app.
        retainCurrentAppSettings: false
        properties: appSettings
      }
    ]
  }
}

@description('Name of the function app.')
output name string = site.outputs.name

@description('Resource id of the function app.')
output resourceId string = site.outputs.resourceId
