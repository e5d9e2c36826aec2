# azd postdeploy hook (Windows): the same as postdeploy.sh. The Event Grid subscriptions to the app's Event Grid
# functions; Azure refuses an AzureFunction endpoint until the function is deployed (Azure/bicep#11656).
$ErrorActionPreference = 'Stop'
if (-not $env:AZURE_FUNCTION_APP_ID) { throw 'AZURE_FUNCTION_APP_ID is not set: run through azd (azd env get-values)' }
if (-not $env:AZURE_ENV_NAME) { throw 'AZURE_ENV_NAME is not set: run through azd' }

function Invoke-Az {
  az @args
  if ($LASTEXITCODE -ne 0) { throw "az $($args -join ' ') failed ($LASTEXITCODE)" }
}

# gatewayEvents: ResourceWriteSuccess of each gateway, only gateway writes.
$index = 0
foreach ($entry in ($env:GATEWAY_EVENT_TOPICS -split ';' | Where-Object { $_ })) {
  $subscription, $group, $topic, $gateway = $entry -split ',', 4
  $name = "p2s-$($env:AZURE_ENV_NAME)-gateway-$index"
  Write-Host "Event subscription ${name}: $topic ($group) -> gatewayEvents for $gateway"
  Invoke-Az eventgrid system-topic event-subscription create `
    --subscription $subscription --resource-group $group --system-topic-name $topic --name $name `
    --endpoint-type azurefunction --endpoint "$($env:AZURE_FUNCTION_APP_ID)/functions/gatewayEvents" `
    --included-event-types Microsoft.Resources.ResourceWriteSuccess `
    --subject-begins-with $gateway `
    --advanced-filter data.operationName StringIn Microsoft.Network/virtualNetworkGateways/write `
    --max-delivery-attempts 30 --event-ttl 1440 --output none
  $index++
}

# entraEvents: the Microsoft Graph partner topic (README, "Entra ID events through Event Grid").
if ($env:ENTRA_PARTNER_TOPIC) {
  $group = if ($env:ENTRA_PARTNER_TOPIC_RESOURCE_GROUP) { $env:ENTRA_PARTNER_TOPIC_RESOURCE_GROUP } else { $env:AZURE_RESOURCE_GROUP }
  az eventgrid partner topic show --resource-group $group --name $env:ENTRA_PARTNER_TOPIC --output none 2>$null
  if ($LASTEXITCODE -eq 0) {
    Invoke-Az eventgrid partner topic activate --resource-group $group --name $env:ENTRA_PARTNER_TOPIC --output none
    Invoke-Az eventgrid partner topic event-subscription create `
      --resource-group $group --partner-topic-name $env:ENTRA_PARTNER_TOPIC --name "p2s-$($env:AZURE_ENV_NAME)-entra" `
      --endpoint-type azurefunction --endpoint "$($env:AZURE_FUNCTION_APP_ID)/functions/entraEvents" `
      --event-delivery-schema cloudeventschemav1_0 --max-delivery-attempts 30 --event-ttl 1440 --output none
    Write-Host "Event subscription p2s-$($env:AZURE_ENV_NAME)-entra: partner topic $($env:ENTRA_PARTNER_TOPIC) -> entraEvents"
  } else {
    Write-Host "Partner topic $($env:ENTRA_PARTNER_TOPIC) not found in $group yet: it appears once the app's Graph subscription exists; run 'azd hooks run postdeploy' again then."
  }
} else {
  Write-Host 'ENTRA_PARTNER_TOPIC not set: Entra ID events through Event Grid skipped (see README).'
}
