// What generatevpnprofile captures: the P2S settings a client profile is built from, frozen at generation time so a
// later gateway change makes the old profile stale, as in Azure.
import { randomBytes } from "node:crypto";
import type { GatewayRecord } from "./gateway-record";
import { isJsonObject, objectAt, stringAt } from "./json";
import type { Json } from "./json";

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
  readonly rootCertificateNames: readonly string[];
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
  const vpn = objectAt(objectAt(record.resource, "properties") ?? {}, "vpnClientConfiguration") ?? {};
  const pool = objectAt(vpn, "vpnClientAddressPool") ?? {};
  const roots = vpn["vpnClientRootCertificates"];
  return {
    token: randomBytes(16).toString("hex"),
    gatewayName: record.ref.name,
    generatedAtMs: nowMs,
    expiresAtMs: nowMs + PROFILE_URL_LIFETIME_MS,
    authenticationMethod,
    vpnClientProtocols: strings(vpn["vpnClientProtocols"]),
    vpnAuthenticationTypes: strings(vpn["vpnAuthenticationTypes"]),
    addressPrefixes: strings(pool["addressPrefixes"]),
    rootCertificateNames: Array.isArray(roots)
      ? roots.flatMap((r) => {
          const name = isJsonObject(r) ? stringAt(r, "name") : undefined;
          return name === undefined ? [] : [name];
        })
      : [],
    serverRootCn,
    vpnServer: `azuregateway-${record.resourceGuid}.vpn.azure.com`,
  };
}

function strings(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
