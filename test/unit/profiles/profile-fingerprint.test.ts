// The fingerprint changes with every profile-relevant setting and with none other (revocations, tags, etag...).
import { createHash } from "node:crypto";
import type { VirtualNetworkGateway } from "@azure/arm-network";
import {
  configFingerprint,
  describeChanges,
  profileConfigOf,
  versionFingerprint,
} from "../../../src/domain/profile-fingerprint";

function gateway(): VirtualNetworkGateway {
  return {
    location: "westeurope",
    etag: 'W/"1"',
    tags: { owner: "net" },
    ipConfigurations: [{ name: "default", publicIPAddress: { id: "/subscriptions/s/.../publicIPAddresses/PIP-1" } }],
    customRoutes: { addressPrefixes: ["10.9.0.0/16"] },
    vpnClientConfiguration: {
      vpnClientAddressPool: { addressPrefixes: ["172.16.201.0/24"] },
      vpnClientProtocols: ["IkeV2", "OpenVPN"],
      vpnAuthenticationTypes: ["Certificate"],
      vpnClientRootCertificates: [{ name: "p2s-root-ca", publicCertData: "MIIBroot" }],
      vpnClientRevokedCertificates: [{ name: "r1", thumbprint: "A".repeat(40) }],
      radiusServerSecret: "secret",
    },
  };
}

const print = (g: VirtualNetworkGateway): string => configFingerprint(profileConfigOf(g));

describe("profile fingerprint", () => {
  it("ignores revocations, tags, the etag, list order and RADIUS secrets", () => {
    const base = print(gateway());
    const other = gateway();
    (other as { etag?: string }).etag = 'W/"2"';
    other.tags = {};
    other.vpnClientConfiguration!.vpnClientRevokedCertificates = [];
    other.vpnClientConfiguration!.vpnClientProtocols = ["OpenVPN", "IkeV2"];
    other.vpnClientConfiguration!.radiusServerSecret = "rotated";
    expect(print(other)).toBe(base);
    expect(JSON.stringify(profileConfigOf(gateway()))).not.toContain("secret");
  });

  it.each<[string, (g: VirtualNetworkGateway) => void]>([
    [
      "address pool",
      (g) => (g.vpnClientConfiguration!.vpnClientAddressPool = { addressPrefixes: ["172.16.202.0/24"] }),
    ],
    ["tunnel type", (g) => (g.vpnClientConfiguration!.vpnClientProtocols = ["IkeV2"])],
    ["authentication type", (g) => (g.vpnClientConfiguration!.vpnAuthenticationTypes = ["Certificate", "AAD"])],
    [
      "root data",
      (g) =>
        (g.vpnClientConfiguration!.vpnClientRootCertificates = [{ name: "p2s-root-ca", publicCertData: "MIIBnew" }]),
    ],
    ["RADIUS server", (g) => (g.vpnClientConfiguration!.radiusServerAddress = "10.0.0.4")],
    ["AAD audience", (g) => (g.vpnClientConfiguration!.aadAudience = "41b23e61-6c1e-4545-b367-cd054e0ed4b4")],
    ["custom route", (g) => (g.customRoutes = { addressPrefixes: ["10.8.0.0/16"] })],
    ["public IP", (g) => (g.ipConfigurations = [{ publicIPAddress: { id: "/subscriptions/s/.../PIP-2" } }])],
  ])("changes with the %s", (_what, change) => {
    const changed = gateway();
    change(changed);
    expect(print(changed)).not.toBe(print(gateway()));
  });

  it("describes what changed, field by field", () => {
    const changed = gateway();
    changed.vpnClientConfiguration!.vpnClientAddressPool = { addressPrefixes: ["172.16.202.0/24"] };
    expect(describeChanges(profileConfigOf(gateway()), profileConfigOf(changed))).toEqual([
      "addressPools: +172.16.202.0/24 -172.16.201.0/24",
    ]);
    expect(describeChanges(undefined, profileConfigOf(changed))).toEqual(["first package"]);
  });

  it("gives a package version of its configuration and the server root", () => {
    const a = versionFingerprint("c", "r1", "Root G2");
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(versionFingerprint("c", "r2", "Root G2")).not.toBe(a);
    expect(versionFingerprint("c", "r1", "Root G3")).not.toBe(a);
    expect(versionFingerprint("c", "r1", "Root G2")).toBe(a);
  });

  it("reads every profile-relevant field in its canonical form", () => {
    const sha = (text: string): string => createHash("sha256").update(text).digest("hex");
    const rich: VirtualNetworkGateway = {
      ipConfigurations: [{ publicIPAddress: { id: "/Subscriptions/S/PIP-2" } }, { name: "no-ip" }],
      customRoutes: { addressPrefixes: ["10.9.0.0/16", "10.8.0.0/16"] },
      vpnClientConfiguration: {
        vpnClientRootCertificates: [{ name: "P2S-Root-CA", publicCertData: "MIIB\r\nroot " }, { publicCertData: "x" }],
        radiusServerAddress: "10.0.0.4",
        radiusServers: [
          { radiusServerAddress: "10.0.0.6", radiusServerScore: 30 },
          { radiusServerAddress: "10.0.0.5" },
        ],
        aadTenant: "https://login.microsoftonline.com/t/",
        vpnClientIpsecPolicies: [
          {
            saLifeTimeSeconds: 3600,
            saDataSizeKilobytes: 102400,
            ipsecEncryption: "AES256",
            ipsecIntegrity: "SHA256",
            ikeEncryption: "AES256",
            ikeIntegrity: "SHA384",
            dhGroup: "DHGroup24",
            pfsGroup: "PFS24",
          },
        ],
      },
    };
    expect(profileConfigOf(rich)).toEqual({
      addressPools: [],
      protocols: [],
      authenticationTypes: [],
      roots: [` sha256=${sha("x")}`, `p2s-root-ca sha256=${sha("MIIBroot")}`],
      radiusServers: ["10.0.0.4", "10.0.0.5 score=", "10.0.0.6 score=30"],
      aad: ["tenant=https://login.microsoftonline.com/t/", "audience=", "issuer="],
      ipsecPolicies: ["AES256/SHA384/DHGroup24/AES256/SHA256/PFS24 sa=3600s/102400KB"],
      customRoutes: ["10.8.0.0/16", "10.9.0.0/16"],
      publicIps: ["/subscriptions/s/pip-2"],
    });
    const empty = {
      addressPools: [],
      protocols: [],
      authenticationTypes: [],
      roots: [],
      radiusServers: [],
      aad: [],
      ipsecPolicies: [],
      customRoutes: [],
      publicIps: [],
    };
    expect(profileConfigOf({ location: "westeurope" })).toEqual(empty);
    // Entra ID settings present but empty are no Entra ID settings.
    const blankAad = { vpnClientConfiguration: { aadTenant: "", aadAudience: "", aadIssuer: "" } };
    expect(profileConfigOf(blankAad)).toEqual(empty);
    expect(profileConfigOf({ vpnClientConfiguration: { aadIssuer: "https://sts.windows.net/t/" } }).aad).toEqual([
      "tenant=",
      "audience=",
      "issuer=https://sts.windows.net/t/",
    ]);
    expect(profileConfigOf({ vpnClientConfiguration: { aadAudience: "aud" } }).aad).toEqual([
      "tenant=",
      "audience=aud",
      "issuer=",
    ]);
  });
});
