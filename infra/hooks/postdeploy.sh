#!/bin/sh
# azd postdeploy hook: the Event Grid subscriptions to the app's Event Grid functions. Azure refuses an AzureFunction
# endpoint until the function is deployed, so they cannot be in the Bicep (Azure/bicep#11656). Idempotent: `create`
# updates an existing subscription of the same name.
# Reads the azd outputs AZURE_FUNCTION_APP_ID and GATEWAY_EVENT_TOPICS (entries "subscription,resourceGroup,topic,
# gatewayId" separated by ";"), and optionally ENTRA_PARTNER_TOPIC / ENTRA_PARTNER_TOPIC_RESOURCE_GROUP.
set -eu

: "${AZURE_FUNCTION_APP_ID:?run through azd, or export the azd outputs (azd env get-values)}"
: "${AZURE_ENV_NAME:?run through azd, or export AZURE_ENV_NAME}"

# gatewayEvents: ResourceWriteSuccess of each gateway, only gateway writes (the app re-reads the gateway and
# regenerates the profile when its P2S configuration changed).
index=0
old_ifs=$IFS
IFS=';'
for entry in ${GATEWAY_EVENT_TOPICS:-}; do
  IFS=','
  # shellcheck disable=SC2086
  set -- $entry
  IFS=';'
  subscription=$1 group=$2 topic=$3 gateway=$4
  name="p2s-${AZURE_ENV_NAME}-gateway-${index}"
  echo "Event subscription $name: $topic ($group) -> gatewayEvents for $gateway"
  az eventgrid system-topic event-subscription create \
    --subscription "$subscription" --resource-group "$group" --system-topic-name "$topic" --name "$name" \
    --endpoint-type azurefunction --endpoint "${AZURE_FUNCTION_APP_ID}/functions/gatewayEvents" \
    --included-event-types Microsoft.Resources.ResourceWriteSuccess \
    --subject-begins-with "$gateway" \
    --advanced-filter data.operationName StringIn Microsoft.Network/virtualNetworkGateways/write \
    --max-delivery-attempts 30 --event-ttl 1440 --output none
  index=$((index + 1))
done
IFS=$old_ifs

# entraEvents: the Microsoft Graph partner topic. Graph creates it when the app's Graph subscription names
# "EventGrid:?azuresubscriptionid=...&resourcegroup=...&partnertopic=...&location=..." (README, "Entra ID events
# through Event Grid"); it must then be activated and subscribed, in CloudEvents 1.0 schema.
if [ -n "${ENTRA_PARTNER_TOPIC:-}" ]; then
  group=${ENTRA_PARTNER_TOPIC_RESOURCE_GROUP:-${AZURE_RESOURCE_GROUP:?}}
  if az eventgrid partner topic show --resource-group "$group" --name "$ENTRA_PARTNER_TOPIC" --output none 2>/dev/null; then
    az eventgrid partner topic activate --resource-group "$group" --name "$ENTRA_PARTNER_TOPIC" --output none
    az eventgrid partner topic event-subscription create \
      --resource-group "$group" --partner-topic-name "$ENTRA_PARTNER_TOPIC" --name "p2s-${AZURE_ENV_NAME}-entra" \
      --endpoint-type azurefunction --endpoint "${AZURE_FUNCTION_APP_ID}/functions/entraEvents" \
      --event-delivery-schema cloudeventschemav1_0 --max-delivery-attempts 30 --event-ttl 1440 --output none
    echo "Event subscription p2s-${AZURE_ENV_NAME}-entra: partner topic $ENTRA_PARTNER_TOPIC -> entraEvents"
  else
    echo "Partner topic $ENTRA_PARTNER_TOPIC not found in $group yet: it appears once the app's Graph subscription" \
      "exists (entraSubscriptions timer); run 'azd hooks run postdeploy' again then."
  fi
else
  echo "ENTRA_PARTNER_TOPIC not set: Entra ID events through Event Grid skipped (see README)."
fi
