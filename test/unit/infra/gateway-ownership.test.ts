// The gateways are referenced, never owned: no template declares their certificate lists or deploys them.
import { parseBicep, parseInfra } from "./bicep-syntax";
import { gatewayOwnershipProblems } from "./contracts";

describe("gateway ownership", () => {
  it("no template declares vpnClientRootCertificates or vpnClientRevokedCertificates, or deploys a gateway", async () => {
    expect(gatewayOwnershipProblems(await parseInfra())).toEqual([]);
  });

  it("fails on a template that declares the revoked list, even empty, or deploys the gateway", async () => {
    const broken = await parseBicep(
      "broken.bicep",
      [
        "resource gw 'Microsoft.Network/virtualNetworkGateways@2024-05-01' = {",
        "  name: 'vgw'",
        "  properties: { vpnClientConfiguration: { vpnClientRevokedCertificates: [] } }",
        "}",
        "var roots = { 'vpnClientRootCertificates': [] }",
      ].join("\n"),
    );
    expect(gatewayOwnershipProblems([broken])).toEqual([
      "broken.bicep:3: declares vpnClientRevokedCertificates, which the app owns",
      "broken.bicep:5: declares vpnClientRootCertificates, which the app owns",
      "broken.bicep gw: Microsoft.Network/virtualNetworkGateways must be referenced as existing, never deployed",
    ]);
  });
});
