// The profile-relevant part of a gateway's P2S configuration, and its fingerprint: what a client profile package is
// built from (address pool, tunnel and authentication types, roots, RADIUS and Entra ID settings, IPsec policies,
// custom routes, the gateway's public IP addresses). The revocation list is left out: revoking a certificate does
// not change the profile. Secrets (RADIUS) are never read.
import { createHash } from "node:crypto";
import type { VirtualNetworkGateway } from "@azure/arm-network";

export interface ProfileConfig {
  readonly addressPools: readonly string[];
  readonly protocols: readonly string[];
  readonly authenticationTypes: readonly string[];
  /** Root names with the SHA-256 of their data (the data itself is long and public). */
  readonly roots: readonly string[];
  readonly radiusServers: readonly string[];
  readonly aad: readonly string[];
  readonly ipsecPolicies: readonly string[];
  readonly customRoutes: readonly string[];
  /** The public IP address resources of the gateway's IP configurations (the addresses clients connect to). */
  readonly publicIps: readonly string[];
}

const FIELDS: readonly (keyof ProfileConfig)[] = [
  "addressPools",
  "protocols",
  "authenticationTypes",
  "roots",
  "radiusServers",
  "aad",
  "ipsecPolicies",
  "customRoutes",
  "publicIps",
];

export function profileConfigOf(gateway: VirtualNetworkGateway): ProfileConfig {
  const vpn = gateway.vpnClientConfiguration ?? {};
  const radius = [
    ...(vpn.radiusServerAddress === undefined ? [] : [vpn.radiusServerAddress]),
    ...(vpn.radiusServers ?? []).map((s) => `${s.radiusServerAddress} score=${s.radiusServerScore ?? ""}`),
  ];
  return {
    addressPools: sorted(vpn.vpnClientAddressPool?.addressPrefixes),
    protocols: sorted(vpn.vpnClientProtocols),
    authenticationTypes: sorted(vpn.vpnAuthenticationTypes),
    roots: sorted(
      (vpn.vpnClientRootCertificates ?? []).map(
        (r) => `${(r.name ?? "").toLowerCase()} sha256=${sha256(r.publicCertData.replace(/\s/g, ""))}`,
      ),
    ),
    radiusServers: sorted(radius),
    aad: [vpn.aadTenant, vpn.aadAudience, vpn.aadIssuer].some((v) => v !== undefined && v !== "")
      ? [`tenant=${vpn.aadTenant ?? ""}`, `audience=${vpn.aadAudience ?? ""}`, `issuer=${vpn.aadIssuer ?? ""}`]
      : [],
    ipsecPolicies: (vpn.vpnClientIpsecPolicies ?? []).map(
      (p) =>
        [p.ikeEncryption, p.ikeIntegrity, p.dhGroup, p.ipsecEncryption, p.ipsecIntegrity, p.pfsGroup].join("/") +
        ` sa=${p.saLifeTimeSeconds}s/${p.saDataSizeKilobytes}KB`,
    ),
    customRoutes: sorted(gateway.customRoutes?.addressPrefixes),
    publicIps: sorted(
      (gateway.ipConfigurations ?? []).flatMap((c) =>
        c.publicIPAddress?.id === undefined ? [] : [c.publicIPAddress.id.toLowerCase()],
      ),
    ),
  };
}

/** SHA-256 (hex) of the configuration in a canonical form: equal configurations, equal fingerprints. */
export function configFingerprint(config: ProfileConfig): string {
  return sha256(JSON.stringify(FIELDS.map((field) => [field, config[field]])));
}

/** The version of a published package: its configuration and the gateway's server root, which Microsoft changes. */
export function versionFingerprint(configPrint: string, serverRootSha256: string, serverRootCn: string): string {
  return sha256(`${configPrint}\n${serverRootSha256}\n${serverRootCn}`).slice(0, 32);
}

/** One line per changed field, for the manifest and the audit ("addressPools: +10.1.0.0/24 -10.0.0.0/24"). */
export function describeChanges(before: ProfileConfig | undefined, after: ProfileConfig): string[] {
  if (before === undefined) return ["first package"];
  return FIELDS.flatMap((field) => {
    const old = new Set(before[field]);
    const now = new Set(after[field]);
    const added = [...now].filter((v) => !old.has(v)).map((v) => `+${v}`);
    const removed = [...old].filter((v) => !now.has(v)).map((v) => `-${v}`);
    const changes = [...added, ...removed];
    return changes.length === 0 ? [] : [`${field}: ${changes.join(" ")}`];
  });
}

function sorted(values: readonly string[] | undefined): string[] {
  return [...(values ?? [])].sort();
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
