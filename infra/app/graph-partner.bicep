// Lets Microsoft Graph create its partner topic (Entra ID user and group events) in the app's resource group. The
// topic itself appears when the app's Graph subscription names it (EventGrid:?...&partnertopic=...), and the
// postdeploy hook then activates it and subscribes the entraEvents function. Graph resources stay out of Bicep: the
// Graph extension needs an `extension` declaration, which tree-sitter-bicep 1.1.0 (used by the tests) cannot parse.

@description('Optional. How long Graph may create partner topics here, in days; a later deployment renews it.')
@minValue(1)
@maxValue(365)
param authorizationDays int = 365

@description('Optional. Start of the authorization; the deployment time.')
param now string = utcNow('u')

// The well-known partner registration of Microsoft Graph API (Event Grid partner events).
var graphPartnerRegistrationId = 'c02e0126-707c-436d-b6a1-175d2748fb58'

resource partnerConfiguration 'Microsoft.EventGrid/partnerConfigurations@2025-02-15' = {
  name: 'default'
  location: 'global'
  properties: {
    partnerAuthorization: {
      defaultMaximumExpirationTimeInDays: authorizationDays
      authorizedPartnersList: [
        {
          partnerName: 'MicrosoftGraphAPI'
          partnerRegistrationImmutableId: graphPartnerRegistrationId
          authorizationExpirationTimeInUtc: dateTimeAdd(now, 'P${authorizationDays}D')
        }
      ]
    }
  }
}

@description('Name of the partner configuration.')
output name string = partnerConfiguration.name
