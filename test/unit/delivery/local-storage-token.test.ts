// The local credential's storage token: what Azurite's --oauth basic checks (a v1 Entra ID issuer, the storage
// audience, a current nbf/exp, oid and tid), while every other scope keeps the constant token.
import { decodeJwt } from "jose";
import { getCredential, LOCAL_APP_OBJECT_ID, LOCAL_TENANT_ID } from "../../../src/clients/credential";

const credential = getCredential({ P2S_CREDENTIAL: "localEmulator", AZURE_CLIENT_ID: undefined });

describe("localEmulator storage token", () => {
  it("is a v1-shaped storage token for https://storage.azure.com/.default", async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await credential.getToken("https://storage.azure.com/.default");
    const claims = decodeJwt(token?.token ?? "");
    expect(claims).toMatchObject({
      aud: "https://storage.azure.com",
      iss: `https://sts.windows.net/${LOCAL_TENANT_ID}/`,
      oid: LOCAL_APP_OBJECT_ID,
      tid: LOCAL_TENANT_ID,
    });
    expect(claims.nbf).toBeLessThanOrEqual(before);
    expect(claims.exp).toBeGreaterThan(before + 3000);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
  });

  it("keeps the constant token for Key Vault, ARM and Graph", async () => {
    for (const scope of ["https://vault.azure.net/.default", "https://management.azure.com/.default"]) {
      expect((await credential.getToken(scope))?.token).toBe("local-emulator-token");
    }
  });
});
