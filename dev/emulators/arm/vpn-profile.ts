// What generatevpnprofile captures: the P2S settings a client profile is built from, frozen at generation time so a
// later gateway change makes the old profile stale, as in Azure.
import { randomBytes } from "node:crypto";
import type { GatewayRecord } from "./gateway-record";
import { isJsonObject, objectAt, stringAt } from "./json";
import type { Json, JsonObject } from "./json";

/** How long a profile package URL works (a SAS link to blob storage; about an hour in Azure). */
export const PROFILE_URL_LIFETIME_MS = 60 * 60 * 1000;

export interface VpnProfileSnapshot {
  readonly token: string;
  readonly gatewayName: string;
  readonly generatedAtMs: number;
  /** After this the URL refuses downloads, as an expired SAS does. */
  readonly expiresAtMs: number;
  readonly authenticationMethod: string;
  readonly vpnClientProtocols: readonly string[];
  readonly vpnAuthenticationTypes: readonly string[];
  readonly addressPrefixes: readonly string[];
  /** properties.customRoutes: routes pushed to clients besides the virtual network's. */
  readonly customRoutes: readonly string[];
  readonly rootCertificateNames: readonly string[];
  /** RADIUS server addresses (never their secrets). */
  readonly radiusServers: readonly string[];
  readonly aad: { readonly tenant: string; readonly audience: string; readonly issuer: string } | undefined;
  /** The gateway's server root CN (Generic/VpnSettings.xml ServerCertRootCn), which Microsoft rotates. */
  readonly serverRootCn: string;
  /** A stable host name for the gateway in the profiles. */
  readonly vpnServer: string;
}

export function snapshotProfile(
  record: GatewayRecord,
  authenticationMethod: string,
  serverRootCn: string,
  nowMs: number,
): VpnProfileSnapshot {
  const properties = objectAt(record.resource, "properties") ?? {};
  const vpn = objectAt(properties, "vpnClientConfiguration") ?? {};
  const pool = objectAt(vpn, "vpnClientAddressPool") ?? {};
  // customRoutes belongs to the gateway (properties.customRoutes), not to vpnClientConfiguration.
  const routes = objectAt(properties, "customRoutes") ?? {};
  const tenant = stringAt(vpn, "aadTenant");
  return {
    token: randomBytes(16).toString("hex"),
    gatewayName: record.ref.name,
    generatedAtMs: nowMs,
    expiresAtMs: nowMs + PROFILE_URL_LIFETIME_MS,
    authenticationMethod,
    vpnClientProtocols: strings(vpn["vpnClientProtocols"]),
    vpnAuthenticationTypes: strings(vpn["vpnAuthenticationTypes"]),
    addressPrefixes: strings(pool["addressPrefixes"]),
    customRoutes: strings(routes["addressPrefixes"]),
    rootCertificateNames: names(vpn["vpnClientRootCertificates"]),
    radiusServers: radiusAddresses(vpn),
    aad:
      tenant === undefined
        ? undefined
        : { tenant, audience: stringAt(vpn, "aadAudience") ?? "", issuer: stringAt(vpn, "aadIssuer") ?? "" },
    serverRootCn,
    vpnServer: `azuregateway-${record.resourceGuid}.vpn.azure.com`,
  };
}

function radiusAddresses(vpn: JsonObject): string[] {
  const single = stringAt(vpn, "radiusServerAddress");
  const list = vpn["radiusServers"];
  const many = Array.isArray(list)
    ? list.flatMap((s) => {
        const address = isJsonObject(s) ? stringAt(s, "radiusServerAddress") : undefined;
        return address === undefined ? [] : [address];
      })
    : [];
  return single === undefined ? many : [single, ...many];
}

function names(list: Json | undefined): string[] {
  return Array.isArray(list)
    ? list.flatMap((r) => {
        const name = isJsonObject(r) ? stringAt(r, "name") : undefined;
        return name === undefined ? [] : [name];
      })
    : [];
}

function strings(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
