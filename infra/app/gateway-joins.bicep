// The join role on one gateway's subnet (GatewaySubnet) and on each of its public IPs. Azure keeps a gateway in its
// virtual network's resource group; its public IPs must be in that resource group too (a lookup elsewhere fails the
// deployment with ResourceNotFound, naming the address).

@description('Required. The gateway\'s properties.ipConfigurations.')
param ipConfigurations array

@description('Required. Principal (object) id of the app\'s identity.')
param principalId string

@description('Required. Resource id of the join role definition.')
param joinRoleId string

var subnetId = ipConfigurations[0].properties.subnet.id

resource network 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: split(subnetId, '/')[8]
}

resource subnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: network
  name: last(split(subnetId, '/'))
}

resource publicIps 'Microsoft.Network/publicIPAddresses@2024-05-01' existing = [
  for c in ipConfigurations: {
    name: last(split(c.properties.publicIPAddress.id, '/'))
  }
]

resource subnetAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subnet.id, principalId, joinRoleId)
  scope: subnet
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: joinRoleId
  }
}

resource publicIpAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (c, i) in ipConfigurations: {
    name: guid(publicIps[i].id, principalId, joinRoleId)
    scope: publicIps[i]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: joinRoleId
    }
  }
]
