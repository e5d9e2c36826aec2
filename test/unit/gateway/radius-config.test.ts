// The pure RADIUS helpers: which servers a gateway names, when a PUT must carry the secret, and where it goes.
import type { VirtualNetworkGateway } from "@azure/arm-network";
import { needsRadiusSecret, radiusServerAddresses, withRadiusSecret } from "../../../src/domain/radius-config";

const gateway = (vpnClientConfiguration?: VirtualNetworkGateway["vpnClientConfiguration"]): VirtualNetworkGateway =>
  vpnClientConfiguration === undefined
    ? { location: "westeurope" }
    : { location: "westeurope", vpnClientConfiguration };

describe("radiusServerAddresses", () => {
  it("lists the single address then the list's, trimmed, leaving out blank ones", () => {
    const gw = gateway({
      radiusServerAddress: " 10.0.0.5 ",
      radiusServers: [
        { radiusServerAddress: " 10.0.0.6" },
        { radiusServerAddress: "  " },
        { radiusServerAddress: "10.0.0.7" },
      ],
    });
    expect(radiusServerAddresses(gw)).toEqual(["10.0.0.5", "10.0.0.6", "10.0.0.7"]);
    expect(radiusServerAddresses(gateway({ radiusServerAddress: "  " }))).toEqual([]);
    expect(radiusServerAddresses(gateway({ aadTenant: "t" }))).toEqual([]);
    expect(radiusServerAddresses(gateway())).toEqual([]);
  });
});

describe("needsRadiusSecret", () => {
  it("is true with a single server, or with any entry in the list (even one without an address)", () => {
    expect(needsRadiusSecret(gateway({ radiusServerAddress: "10.0.0.5" }))).toBe(true);
    expect(needsRadiusSecret(gateway({ radiusServers: [{ radiusServerAddress: " " }] }))).toBe(true);
    expect(needsRadiusSecret(gateway({ radiusServerAddress: " ", radiusServers: [] }))).toBe(false);
    expect(needsRadiusSecret(gateway())).toBe(false);
  });
});

describe("withRadiusSecret", () => {
  it("sets the secret on the single server and on every listed one, keeping the rest", () => {
    const gw = gateway({
      aadTenant: "t",
      radiusServerAddress: "10.0.0.5",
      radiusServers: [{ radiusServerAddress: "10.0.0.6", radiusServerScore: 20 }],
    });
    expect(withRadiusSecret(gw, "s")).toEqual(
      gateway({
        aadTenant: "t",
        radiusServerAddress: "10.0.0.5",
        radiusServerSecret: "s",
        radiusServers: [{ radiusServerAddress: "10.0.0.6", radiusServerScore: 20, radiusServerSecret: "s" }],
      }),
    );
  });

  it("adds no single-server secret without a single server, and no list that was not there", () => {
    expect(withRadiusSecret(gateway({ radiusServerAddress: " ", aadTenant: "t" }), "s")).toEqual(
      gateway({ radiusServerAddress: " ", aadTenant: "t" }),
    );
    const listed = withRadiusSecret(gateway({ radiusServers: [{ radiusServerAddress: "10.0.0.6" }] }), "s");
    expect(listed.vpnClientConfiguration).toEqual({
      radiusServers: [{ radiusServerAddress: "10.0.0.6", radiusServerSecret: "s" }],
    });
    const plain = gateway();
    expect(withRadiusSecret(plain, "s")).toBe(plain);
  });
});
