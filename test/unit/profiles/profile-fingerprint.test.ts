// The fingerprint changes with every profile-relevant setting and with none other (revocations, tags, etag...).
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
});
