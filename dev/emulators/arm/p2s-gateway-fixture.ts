// A realistic route-based VpnGw1 gateway with point-to-site certificate authentication over IKEv2 and OpenVPN, in
// the wire shape a PUT sends: for the sandbox seed and for tests.
import type { JsonObject } from "./json";
import { parseGatewayId } from "./resource-id";

export type VpnClientProtocol = "IkeV2" | "OpenVPN" | "SSTP";

export interface P2sGatewayOptions {
  /** Full resource id of the gateway; the subscription and resource group also place its vnet and public IP. */
  id: string;
  location?: string;
  /** Default ["172.16.201.0/24"]. */
  addressPrefixes?: readonly string[];
  rootCertificates?: readonly { name: string; publicCertData: string }[];
  revokedCertificates?: readonly { name: string; thumbprint: string }[];
  /** Default ["IkeV2", "OpenVPN"]. */
  vpnClientProtocols?: readonly VpnClientProtocol[];
  /** Default "VpnGw1". */
  sku?: string;
  /** Default "vnet-hub". */
  virtualNetworkName?: string;
  tags?: Readonly<Record<string, string>>;
}

export function buildP2sGateway(options: P2sGatewayOptions): JsonObject {
  const ref = parseGatewayId(options.id);
  const group = `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Network`;
  const sku = options.sku ?? "VpnGw1";
  const gateway: JsonObject = {
    location: options.location ?? "westeurope",
    properties: {
      ipConfigurations: [
        {
          name: "default",
          properties: {
            privateIPAllocationMethod: "Dynamic",
            subnet: {
              id: `${group}/virtualNetworks/${options.virtualNetworkName ?? "vnet-hub"}/subnets/GatewaySubnet`,
            },
            publicIPAddress: { id: `${group}/publicIPAddresses/${ref.name}-pip` },
          },
        },
      ],
      gatewayType: "Vpn",
      vpnType: "RouteBased",
      vpnGatewayGeneration: "Generation1",
      enableBgp: false,
      activeActive: false,
      sku: { name: sku, tier: sku },
      vpnClientConfiguration: {
        vpnClientAddressPool: { addressPrefixes: [...(options.addressPrefixes ?? ["172.16.201.0/24"])] },
        vpnClientProtocols: [...(options.vpnClientProtocols ?? ["IkeV2", "OpenVPN"])],
        vpnAuthenticationTypes: ["Certificate"],
        vpnClientRootCertificates: (options.rootCertificates ?? []).map((root) => ({
          name: root.name,
          properties: { publicCertData: root.publicCertData },
        })),
        vpnClientRevokedCertificates: (options.revokedCertificates ?? []).map((revoked) => ({
          name: revoked.name,
          properties: { thumbprint: revoked.thumbprint },
        })),
      },
    },
  };
  if (options.tags !== undefined) gateway["tags"] = { ...options.tags };
  return gateway;
}
