// RADIUS in a gateway's P2S configuration. A gateway GET never returns the RADIUS secret (radiusServerSecret, and
// radiusServers[].radiusServerSecret: spec example VirtualNetworkGatewayUpdate), yet every write is a full-object PUT:
// a PUT built from a GET would drop it. So the writer must put the secret back before it writes. Pure helpers; the
// secret itself is read from Key Vault in src/clients/radius-secret.ts.
import type { VirtualNetworkGateway } from "@azure/arm-network";

/** The RADIUS server addresses a gateway is configured with (single address and the radiusServers list). */
export function radiusServerAddresses(gateway: VirtualNetworkGateway): string[] {
  const vpn = gateway.vpnClientConfiguration;
  if (vpn === undefined) return [];
  const single = vpn.radiusServerAddress?.trim() ?? "";
  const listed = (vpn.radiusServers ?? []).map((s) => s.radiusServerAddress.trim());
  return [...(single === "" ? [] : [single]), ...listed.filter((a) => a !== "")];
}

/** True when a PUT of this gateway must carry a RADIUS secret. */
export function needsRadiusSecret(gateway: VirtualNetworkGateway): boolean {
  return radiusServerAddresses(gateway).length > 0 || (gateway.vpnClientConfiguration?.radiusServers ?? []).length > 0;
}

/** The Key Vault secret name for a gateway: `{gateway}` in the setting becomes the gateway's name, made name-safe. */
export function radiusSecretName(template: string, gatewayName: string): string {
  return template.replaceAll("{gateway}", gatewayName.replace(/[^0-9A-Za-z-]/g, "-"));
}

/**
 * The gateway object with the RADIUS secret set wherever RADIUS is configured: the single server and every server of
 * the list (one secret per gateway). Everything else in vpnClientConfiguration (AAD, protocols, address pool,
 * policies, other servers' scores) is carried as read.
 */
export function withRadiusSecret(gateway: VirtualNetworkGateway, secret: string): VirtualNetworkGateway {
  const vpn = gateway.vpnClientConfiguration;
  if (vpn === undefined) return gateway;
  const single = (vpn.radiusServerAddress?.trim() ?? "") !== "";
  return {
    ...gateway,
    vpnClientConfiguration: {
      ...vpn,
      ...(single ? { radiusServerSecret: secret } : {}),
      ...(vpn.radiusServers === undefined
        ? {}
        : { radiusServers: vpn.radiusServers.map((s) => ({ ...s, radiusServerSecret: secret })) }),
    },
  };
}
