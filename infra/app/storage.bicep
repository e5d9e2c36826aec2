// The app's storage account: Functions host, Durable task hub (blobs, queues and tables), ledger tables, HR queue,
// profile and delivery blobs, and the Flex deployment container. Shared keys are off: identity only.

@description('Required. Name of the storage account.')
param name string

@description('Optional. Region.')
param location string = resourceGroup().location

@description('Optional. Tags.')
param tags object = {}

@description('Required. Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('Optional. Prefix of the ledger tables (LEDGER_TABLE_PREFIX).')
param ledgerTablePrefix string = 'p2s'

@description('Optional. Queue of HR events (HR_EVENTS_QUEUE); its poison queue is <name>-poison.')
param hrEventsQueue string = 'hr-events'

@description('Optional. Blob container of the VPN profile packages (PROFILE_CONTAINER).')
param profileContainer string = 'vpn-profiles'

// The ledger's tables: src/clients/ledger.ts, hr-state.ts, delivery-services.ts,
// entra-state.ts, alert-table.ts, root-registry.ts, rotation-table.ts; and the Key Vault create slots shared by the
// instances (create-pacing.ts). The app creates any it misses; owning them here makes teardown and audits plain.
var ledgerTables = ['Certificates', 'Audit', 'Gateways', 'Users', 'Requests', 'HrEvents', 'Deliveries', 'Entra', 'Alerts', 'Roots', 'Rotations', 'Pacing']

// The writers' lease locks (src/clients/blob-lease-lock.ts LOCK_CONTAINER).
var lockContainer = 'p2s-locks'

// Delivered PKCS#12 files (DELIVERY_CONTAINER on h-deliver): private, shared only by user-delegation SAS.
var deliveryContainer = 'p2s-deliveries'

module account 'br/public:avm/res/storage/storage-account:0.33.0' = {
  name: 'storageAccount'
  params: {
    name: name
    location: location
    tags: tags
    kind: 'StorageV2'
    skuName: 'Standard_LRS'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
    blobServices: {
      containers: [
        { name: deploymentContainerName, publicAccess: 'None' }
        { name: profileContainer, publicAccess: 'None' }
        { name: lockContainer, publicAccess: 'None' }
        { name: deliveryContainer, publicAccess: 'None' }
      ]
    }
    queueServices: {
      queues: [
        { name: hrEventsQueue }
        { name: '${hrEventsQueue}-poison' }
      ]
    }
    tableServices: {
      tables: map(ledgerTables, t => { name: '${ledgerTablePrefix}${t}' })
    }
  }
}

@description('Name of the storage account.')
output name string = account.outputs.name

@description('Name of the deployment container.')
output deploymentContainerName string = deploymentContainerName
