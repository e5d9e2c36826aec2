// The zip generatevpnprofile points at: AzureVPN/, Generic/ and OpenVPN/ folders as Azure lays them out. The files
// are simplified but carry what a client (and this product) reads: server name, tunnel types, routes, RADIUS and
// Entra ID settings, and the gateway's server root (CaCert, a real certificate, and its CN) in Generic/VpnSettings.xml. The OpenVPN file keeps the client certificate and key as
// placeholders, as Azure's does: a profile never contains a user's key.
import type { VpnProfileSnapshot } from "./vpn-profile";
import { zipArchive } from "./zip-archive";
import type { ZipEntry } from "./zip-archive";

/** The package's bytes; `serverRootDer` is the base64 DER of the server root certificate (server-root.ts). */
export function vpnProfilePackage(snapshot: VpnProfileSnapshot, serverRootDer: string): Buffer {
  const entries: ZipEntry[] = [
    { path: "AzureVPN/azurevpnconfig.xml", content: azureVpnConfig(snapshot) },
    { path: "Generic/VpnSettings.xml", content: genericSettings(snapshot, serverRootDer) },
  ];
  if (snapshot.vpnClientProtocols.some((p) => p.toLowerCase() === "openvpn")) {
    entries.push({ path: "OpenVPN/vpnconfig.ovpn", content: openVpnConfig(snapshot) });
  }
  return zipArchive(entries);
}

function genericSettings(s: VpnProfileSnapshot, serverRootDer: string): string {
  const list = (items: readonly string[], tag: string): string[] => items.map((i) => `    <${tag}>${xml(i)}</${tag}>`);
  return [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<VpnProfile>`,
    `  <VpnServer>${xml(s.vpnServer)}</VpnServer>`,
    `  <VpnType>${xml(s.vpnClientProtocols.join(","))}</VpnType>`,
    `  <AuthenticationTypes>${xml(s.vpnAuthenticationTypes.join(","))}</AuthenticationTypes>`,
    `  <AuthenticationMethod>${xml(s.authenticationMethod)}</AuthenticationMethod>`,
    `  <CaCert>${serverRootDer}</CaCert>`,
    `  <ServerCertRootCn>${xml(s.serverRootCn)}</ServerCertRootCn>`,
    `  <ServerCertIssuerCn>${xml(s.serverRootCn)}</ServerCertIssuerCn>`,
    `  <VpnClientAddressPool>`,
    ...list(s.addressPrefixes, "Route"),
    `  </VpnClientAddressPool>`,
    `  <Routes>`,
    ...list(s.customRoutes, "Route"),
    `  </Routes>`,
    `  <RadiusServers>`,
    ...list(s.radiusServers, "Server"),
    `  </RadiusServers>`,
    `</VpnProfile>`,
    ``,
  ].join("\n");
}

function azureVpnConfig(s: VpnProfileSnapshot): string {
  return [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<AzVpnProfile>`,
    `  <name>${xml(s.gatewayName)}</name>`,
    `  <protocolconfig><sslprotocolConfig><transportprotocol>tcp</transportprotocol></sslprotocolConfig></protocolconfig>`,
    `  <serverlist><ConnectionServer><fqdn>${xml(s.vpnServer)}</fqdn><latency>0</latency></ConnectionServer></serverlist>`,
    s.aad === undefined
      ? `  <clientauth><type>cert</type></clientauth>`
      : `  <clientauth><type>aad</type><aad><issuer>${xml(s.aad.issuer)}</issuer><tenant>${xml(s.aad.tenant)}</tenant>` +
        `<audience>${xml(s.aad.audience)}</audience></aad></clientauth>`,
    `  <servervalidation><type>cert</type><serversecret/></servervalidation>`,
    `</AzVpnProfile>`,
    ``,
  ].join("\n");
}

function openVpnConfig(s: VpnProfileSnapshot): string {
  return [
    `client`,
    `remote ${s.vpnServer} 443`,
    `verify-x509-name '${s.vpnServer}' name`,
    `remote-cert-tls server`,
    `dev tun`,
    `proto tcp`,
    `resolv-retry infinite`,
    `nobind`,
    `auth SHA256`,
    `cipher AES-256-GCM`,
    `persist-key`,
    `persist-tun`,
    `<cert>`,
    `$CLIENTCERTIFICATE`,
    `</cert>`,
    `<key>`,
    `$PRIVATEKEY`,
    `</key>`,
    ``,
  ].join("\n");
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
