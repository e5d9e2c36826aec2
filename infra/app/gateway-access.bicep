// Deployed in a gateway's resource group (any subscription): what the app may do to that gateway, and nothing else.
// The gateway is `existing`: this template never declares its certificate lists, which the app owns.

@description('Required. Name of the VPN gateway (virtualNetworkGateways) in this resource group.')
param gatewayName string

@description('Required. Principal (object) id of the app\'s identity.')
param principalId string

@description('Required. azd environment name; keeps role names of several environments apart.')
param environmentName string

// Exactly what src/clients (gateway client) calls: GET and full-object PUT of the gateway, profile generation and
// its package URL, connection health and disconnecting sessions after a revocation.
var gatewayActions = [
  'Microsoft.Network/virtualNetworkGateways/read'
  'Microsoft.Network/virtualNetworkGateways/write'
  'Microsoft.Network/virtualNetworkGateways/generatevpnprofile/action'
  'Microsoft.Network/virtualNetworkGateways/getvpnprofilepackageurl/action'
  'Microsoft.Network/virtualNetworkGateways/getvpnclientconnectionhealth/action'
  'Microsoft.Network/virtualNetworkGateways/disconnectvirtualnetworkgatewayvpnconnections/action'
]

// A gateway PUT re-sends its ip configurations, which ARM checks as joins of the subnet and public IPs.
var joinActions = [
  'Microsoft.Network/virtualNetworks/subnets/read'
  'Microsoft.Network/virtualNetworks/subnets/join/action'
  'Microsoft.Network/publicIPAddresses/read'
  'Microsoft.Network/publicIPAddresses/join/action'
]

resource gateway 'Microsoft.Network/virtualNetworkGateways@2024-05-01' existing = {
  name: gatewayName
}

// Assignable only in this resource group; assigned below on the gateway, its subnet and public IPs only.
resource gatewayRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, environmentName, 'p2s-gateway-operator')
  properties: {
    roleName: 'P2S gateway operator (${environmentName}, ${uniqueString(resourceGroup().id)})'
    description: 'p2s-lifecycle: read and write a VPN gateway\'s point-to-site configuration, generate profiles, end sessions.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: gatewayActions
        notActions: []
      }
    ]
  }
}

resource joinRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, environmentName, 'p2s-gateway-join')
  properties: {
    roleName: 'P2S gateway network join (${environmentName}, ${uniqueString(resourceGroup().id)})'
    description: 'p2s-lifecycle: join a VPN gateway\'s subnet and public IPs, as a gateway PUT requires.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: joinActions
        notActions: []
      }
    ]
  }
}

resource gatewayAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(gateway.id, principalId, gatewayRole.id)
  scope: gateway
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: gatewayRole.id
  }
}

// The subnet and public IPs come from the gateway's own configuration: a nested module, so that their names are
// known when its deployment starts.
module joins './gateway-joins.bicep' = {
  name: 'p2s-joins-${uniqueString(gateway.id)}'
  params: {
    ipConfigurations: gateway.properties.ipConfigurations
    principalId: principalId
    joinRoleId: joinRole.id
  }
}
