// Log Analytics and workspace-based Application Insights, local (key) authentication off on both: the app sends
// telemetry with its managed identity (Monitoring Metrics Publisher, see rbac.bicep).

@description('Required. Name of the Log Analytics workspace.')
param workspaceName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Optional. Region.')
param location string = resourceGroup().location

@description('Optional. Tags.')
param tags object = {}

module workspace 'br/public:avm/res/operational-insights/workspace:0.16.1' = {
  name: 'workspace'
  params: {
    name: workspaceName
    location: location
    tags: tags
    dataRetention: 90
    features: { disableLocalAuth: true }
  }
}

module applicationInsights 'br/public:avm/res/insights/component:0.8.0' = {
  name: 'applicationInsights'
  params: {
    name: applicationInsightsName
    location: location
    tags: tags
    workspaceResourceId: workspace.outputs.resourceId
    disableLocalAuth: true
    retentionInDays: 90
  }
}

@description('Name of the Application Insights component.')
output applicationInsightsName string = applicationInsights.outputs.name

@description('Connection string of Application Insights (not a secret: ingestion needs an Entra token).')
output applicationInsightsConnectionString string = applicationInsights.outputs.connectionString
