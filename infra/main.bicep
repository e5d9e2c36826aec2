// p2s-lifecycle: the whole app, deployed by `azd up` (or `az deployment sub create`).
// The VPN gateways are referenced, never owned: no template here declares a gateway, so a deployment can never
// rewrite its root or revoked certificate lists (the app maintains them).
// Syntax note: the tests parse every template with tree-sitter-bicep 1.1.0, which does not parse the spread operator
// (`...`) or `extension` declarations: use union() instead and keep Graph resources out of Bicep (see README).
targetScope = 'subscription'

// ============== //
// Parameters     //
// ============== //

@minLength(1)
@maxLength(64)
@description('Required. Name of the azd environment; part of every resource name and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Required. Region of the app (a region with Flex Consumption).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Optional. Name of the resource group; rg-<environmentName> when empty.')
param resourceGroupName string = ''

@minLength(1)
@description('Required. Comma-separated resource ids of the VPN gateways the app manages (any resource group or subscription of the tenant).')
param gatewayResourceIds string

@description('Optional. Comma-separated names of Event Grid system topics that already exist for the gateways\' resource groups, by position in gatewayResourceIds; empty entries create one (there can be only one per source).')
param gatewayEventTopicNames string = ''

@description('Optional. Entra ID tenant whose tokens the API accepts; this deployment\'s tenant when empty.')
param entraTenantId string = ''

@minLength(1)
@description('Required. Comma-separated audiences of the app registration (client id and/or api://... Application ID URI).')
param entraApiAudiences string

@minLength(1)
@description('Required. Comma-separated UPN domains certificates may be issued for.')
param allowedUpnDomains string

@description('Optional. Object id of the Entra ID group whose members get VPN access.')
param entraVpnGroupId string = ''

@secure()
@minLength(32)
@description('Required. Shared secret the ticketing system signs requests with; stored in Key Vault, the app reads it through a Key Vault reference.')
param ticketingSharedSecret string

@secure()
@description('Optional. The previous ticketing secret, accepted beside the current one while the ticketing system moves to the new one.')
param ticketingSharedSecretPrevious string = ''

@description('Optional. Whether Entra ID events onboard and offboard members of the VPN group.')
@allowed(['true', 'false'])
param entraEventsEnabled string = 'false'

@description('Optional. Whether a root rotation starts by itself when a gateway\'s revocation list fills.')
@allowed(['true', 'false'])
param rootRotationAuto string = 'false'

@secure()
@description('Optional. clientState of the Graph change notification subscriptions (32 to 128 characters); required when Entra events are on.')
param entraNotificationClientState string = ''

@description('Optional. Where Graph sends change notifications: https://<app>/api/v1/entra/notifications, or the EventGrid:?... partner topic URL.')
param entraNotificationUrl string = ''

@description('Optional. Payload of alert webhook posts: generic, teams (Workflows) or slack.')
@allowed(['generic', 'teams', 'slack'])
param alertWebhookFormat string = 'generic'

@description('Optional. Comma-separated https origins the app may call back with ticket results.')
param ticketingCallbackAllowlist string = ''

@description('Optional. https webhook that receives alerts.')
param alertWebhookUrl string = ''

@description('Optional. Microsoft Graph endpoint of the cloud.')
param graphEndpoint string = 'https://graph.microsoft.com'

@allowed(['true', 'false'])
@description('Optional. Authorize Microsoft Graph to create its partner topic in the app\'s resource group (Entra ID events through Event Grid).')
param entraEventsViaEventGrid string = 'false'

// ============== //
// Variables      //
// ============== //

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var gatewayIds = filter(map(split(gatewayResourceIds, ','), id => trim(id)), id => !empty(id))
var topicNames = split(gatewayEventTopicNames, ',')

// ============== //
// Resources      //
// ============== //

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring './app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    workspaceName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage './app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
  }
}

module vault './app/vault.bicep' = {
  name: 'vault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    ticketingSharedSecret: ticketingSharedSecret
    ticketingSharedSecretPrevious: ticketingSharedSecretPrevious
    entraNotificationClientState: entraNotificationClientState
  }
}

module api './app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    keyVaultName: vault.outputs.name
    ticketingSecretName: vault.outputs.ticketingSecretName
    ticketingPreviousSecretName: vault.outputs.ticketingPreviousSecretName
    entraClientStateSecretName: vault.outputs.entraClientStateSecretName
    entraEventsEnabled: entraEventsEnabled
    rootRotationAuto: rootRotationAuto
    entraNotificationUrl: entraNotificationUrl
    alertWebhookFormat: alertWebhookFormat
    gatewayResourceIds: join(gatewayIds, ',')
    entraTenantId: !empty(entraTenantId) ? entraTenantId : tenant().tenantId
    entraApiAudiences: entraApiAudiences
    allowedUpnDomains: allowedUpnDomains
    entraVpnGroupId: entraVpnGroupId
    ticketingCallbackAllowlist: ticketingCallbackAllowlist
    alertWebhookUrl: alertWebhookUrl
    graphEndpoint: graphEndpoint
  }
}

// The built-in roles on the app's own vault, storage account and Application Insights.
module rbac './app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    keyVaultName: vault.outputs.name
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module graphPartner './app/graph-partner.bicep' = if (entraEventsViaEventGrid == 'true') {
  name: 'graph-partner'
  scope: rg
}

// Each gateway in its own resource group (possibly another subscription). One at a time: gateways that share a
// resource group share its custom role definitions and its system topic.
@batchSize(1)
module gatewayAccess './app/gateway-access.bicep' = [
  for (id, i) in gatewayIds: {
    name: 'gateway-access-${i}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      gatewayName: last(split(id, '/'))
      principalId: identity.outputs.principalId
      environmentName: environmentName
    }
  }
]

@batchSize(1)
module gatewayTopics './app/gateway-events-topic.bicep' = [
  for (id, i) in gatewayIds: {
    name: 'gateway-events-topic-${i}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      existingTopicName: length(topicNames) > i ? trim(topicNames[i]) : ''
      newTopicName: '${abbrs.eventGridSystemTopics}${uniqueString(split(id, '/')[2], split(id, '/')[4])}'
      tags: tags
    }
  }
]

// ============== //
// Outputs        //
// ============== //

@description('Region of the deployment.')
output AZURE_LOCATION string = location
@description('Tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId
@description('Resource group of the app.')
output AZURE_RESOURCE_GROUP string = rg.name
@description('Name of the function app (azd deploys the api service to it).')
output SERVICE_API_NAME string = api.outputs.name
@description('Resource id of the function app; the postdeploy hook points event subscriptions at its functions.')
output AZURE_FUNCTION_APP_ID string = api.outputs.resourceId
@description('URL of the Key Vault.')
output KEY_VAULT_URL string = vault.outputs.uri
@description('Principal (object) id of the app\'s managed identity: the Graph application permissions are granted to it.')
output AZURE_APP_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
@description('One entry per gateway, separated by semicolons: subscription id, resource group, system topic name, gateway id (comma-separated); read by the postdeploy hook.')
output GATEWAY_EVENT_TOPICS string = join(
  map(
    range(0, length(gatewayIds)),
    i => '${split(gatewayIds[i], '/')[2]},${split(gatewayIds[i], '/')[4]},${gatewayTopics[i].outputs.name},${gatewayIds[i]}'
  ),
  ';'
)
