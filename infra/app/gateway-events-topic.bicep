// Deployed in a gateway's resource group: the Event Grid system topic of that resource group, which must live in the
// source's subscription and of which there can be only one. Reused when its name is given, created otherwise. The
// event subscription to the gatewayEvents function is made by the azd postdeploy hook (infra/hooks), because an
// AzureFunction endpoint is refused until the function is deployed.

@description('Optional. Name of the system topic that already exists for this resource group; empty creates one.')
param existingTopicName string = ''

@description('Required. Name of the system topic to create when none exists.')
param newTopicName string

@description('Optional. Tags of a created topic.')
param tags object = {}

resource created 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (empty(existingTopicName)) {
  name: newTopicName
  location: 'global'
  tags: tags
  properties: {
    source: resourceGroup().id
    topicType: 'Microsoft.Resources.ResourceGroups'
  }
}

@description('Name of the system topic (reused or created).')
output name string = empty(existingTopicName) ? created.name : existingTopicName
