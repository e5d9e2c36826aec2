// Issue 8: a gateway GET never returns the RADIUS secret, so a PUT built from a GET would drop it. The writer puts the
// secret from Key Vault back into the whole object as read, or refuses to write, naming the gateway and the setting;
// the secret never appears in what it says.
import type { VirtualNetworkGateway } from "@azure/arm-network";
import { RestError } from "@azure/core-rest-pipeline";
import { gatewayWithRadiusSecret, RadiusSecretMissingError } from "../../../src/clients/radius-secret";
import { ConfigError, parseConfig } from "../../../src/config";
import { TEST_ACCESS_SETTINGS } from "../../support/env";
import { needsRadiusSecret, radiusSecretName } from "../../../src/domain/radius-config";

const SECRET = "s3cr3t-Radius-Value";

// As a GET returns it: AAD, RADIUS (single and list) and the rest, without any secret.
const read: VirtualNetworkGateway = {
  location: "westeurope",
  vpnClientConfiguration: {
    vpnClientAddressPool: { addressPrefixes: ["172.16.201.0/24"] },
    vpnClientProtocols: ["OpenVPN", "IkeV2"],
    vpnAuthenticationTypes: ["Certificate", "Radius", "AAD"],
    aadTenant: "https://login.microsoftonline.com/tenant",
    aadAudience: "41b23e61-6c1e-4545-b367-cd054e0ed4b4",
    aadIssuer: "https://sts.windows.net/tenant/",
    radiusServerAddress: "10.2.0.5",
    radiusServers: [
      { radiusServerAddress: "10.2.0.6", radiusServerScore: 20 },
      { radiusServerAddress: "10.2.0.7", radiusServerScore: 5 },
    ],
    vpnClientIpsecPolicies: [
      {
        saLifeTimeSeconds: 86472,
        saDataSizeKilobytes: 429497,
        ipsecEncryption: "AES256",
        ipsecIntegrity: "SHA256",
        ikeEncryption: "AES256",
        ikeIntegrity: "SHA384",
        dhGroup: "DHGroup2",
        pfsGroup: "PFS2",
      },
    ],
  },
};

const vault = (answer: () => Promise<{ value?: string }>) => ({
  getSecret: jest.fn((_name: string) => answer()) as unknown as (name: string) => Promise<never>,
});

describe("RADIUS secret", () => {
  it("leaves a gateway without RADIUS as read, without asking Key Vault", async () => {
    const plain: VirtualNetworkGateway = { location: "westeurope", vpnClientConfiguration: { aadTenant: "t" } };
    const secrets = vault(() => Promise.reject(new Error("must not be called")));
    expect(needsRadiusSecret(plain)).toBe(false);
    await expect(
      gatewayWithRadiusSecret({ GATEWAY_RADIUS_SECRET_NAME: undefined }, secrets, "gw", plain),
    ).resolves.toBe(plain);
  });

  it("puts the secret everywhere RADIUS is configured and keeps every other setting as read", async () => {
    const secrets = vault(() => Promise.resolve({ value: SECRET }));
    const body = await gatewayWithRadiusSecret(
      { GATEWAY_RADIUS_SECRET_NAME: "radius-{gateway}" },
      secrets,
      "vgw_hub.1",
      read,
    );
    expect(secrets.getSecret).toHaveBeenCalledWith("radius-vgw-hub-1");
    expect(body.vpnClientConfiguration).toEqual({
      ...read.vpnClientConfiguration,
      radiusServerSecret: SECRET,
      radiusServers: [
        { radiusServerAddress: "10.2.0.6", radiusServerScore: 20, radiusServerSecret: SECRET },
        { radiusServerAddress: "10.2.0.7", radiusServerScore: 5, radiusServerSecret: SECRET },
      ],
    });
    // The object read is not changed (it is what the writer compares against).
    expect(read.vpnClientConfiguration?.radiusServerSecret).toBeUndefined();
  });

  it("refuses without the setting, naming the gateway and the setting", async () => {
    const error = await gatewayWithRadiusSecret(
      { GATEWAY_RADIUS_SECRET_NAME: undefined },
      vault(never),
      "vgw-hub",
      read,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RadiusSecretMissingError);
    expect(String(error)).toMatch(/gateway vgw-hub is configured with RADIUS \(servers 10\.2\.0\.5, 10\.2\.0\.6/);
    expect(String(error)).toContain("GATEWAY_RADIUS_SECRET_NAME");
    expect(String(error)).toContain("Revocations stay pending");
  });

  it.each([
    ["absent", () => Promise.reject(new RestError("nope", { statusCode: 404 })), "was not found"],
    ["disabled", () => Promise.reject(new RestError("nope", { statusCode: 403 })), "cannot be read"],
    ["a refused name", () => Promise.reject(new RestError("nope", { statusCode: 400 })), "is not a name"],
    ["empty", () => Promise.resolve({ value: "" }), "is empty"],
  ])("refuses when the Key Vault secret is %s", async (_label, answer, says) => {
    const error = await gatewayWithRadiusSecret(
      { GATEWAY_RADIUS_SECRET_NAME: "radius" },
      vault(answer),
      "gw",
      read,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RadiusSecretMissingError);
    expect(String(error)).toContain(`the Key Vault secret 'radius' named by GATEWAY_RADIUS_SECRET_NAME ${says}`);
  });

  it("lets a transient Key Vault failure through for the activity's retry", async () => {
    const failure = new RestError("busy", { statusCode: 503 });
    const error = await gatewayWithRadiusSecret(
      { GATEWAY_RADIUS_SECRET_NAME: "radius" },
      vault(() => Promise.reject(failure)),
      "gw",
      read,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBe(failure);
  });

  it("names secrets per gateway or one for all", () => {
    expect(radiusSecretName("radius-{gateway}", "vgw.hub_1")).toBe("radius-vgw-hub-1");
    expect(radiusSecretName("radius-all", "vgw-hub")).toBe("radius-all");
  });

  it("takes GATEWAY_RADIUS_SECRET_NAME only as a Key Vault name, optionally with {gateway}", () => {
    const env = {
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
      KEY_VAULT_URL: "https://v.vault.azure.net",
      ...TEST_ACCESS_SETTINGS,
    };
    expect(parseConfig(env).GATEWAY_RADIUS_SECRET_NAME).toBeUndefined();
    expect(parseConfig({ ...env, GATEWAY_RADIUS_SECRET_NAME: "radius-{gateway}" }).GATEWAY_RADIUS_SECRET_NAME).toBe(
      "radius-{gateway}",
    );
    expect(() => parseConfig({ ...env, GATEWAY_RADIUS_SECRET_NAME: "radius_{name}" })).toThrow(ConfigError);
    expect(() => parseConfig({ ...env, GATEWAY_RADIUS_SECRET_NAME: "radius_{name}" })).toThrow(
      /GATEWAY_RADIUS_SECRET_NAME must be a Key Vault secret name/,
    );
  });
});

function never(): Promise<{ value?: string }> {
  return Promise.reject(new Error("Key Vault must not be read without the setting"));
}
