// The passphrase secret through the real SecretClient and the Key Vault emulator: stored with the delivery's expiry,
// read back, deleted and purged (nothing left, not even soft-deleted), and treated as gone once expired whether Key
// Vault refuses the value (the emulator's default) or still hands it out (what Key Vault was seen to do).
import { SecretClient } from "@azure/keyvault-secrets";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import { startKeyVaultEmulator } from "../../../dev/emulators/keyvault";
import type { KeyVaultEmulator } from "../../../dev/emulators/keyvault";
import { readPassphrase, removePassphrase, storePassphrase } from "../../../src/clients/delivery-vault";
import { RecordingCredential } from "../../support/emulator-clients";

let vault: KeyVaultEmulator;
let secrets: SecretClient;
const requestId = "0123456789abcdef0123456789abcdef";

beforeAll(async () => {
  const ca = await createEmulatorCa();
  vault = await startKeyVaultEmulator({ ca, throttle: false });
  secrets = new SecretClient(vault.url, new RecordingCredential(), {
    disableChallengeResourceVerification: true,
    tlsOptions: { ca: ca.certPem },
  });
});

afterAll(async () => {
  await vault.stop();
});

describe("delivery passphrase secret", () => {
  it("is stored with its expiry, read, then deleted and purged", async () => {
    const expiresOn = new Date(Date.now() + 3_600_000);
    await storePassphrase(secrets, "p2s-delivery-a", "pass-a", expiresOn, requestId);
    const stored = await secrets.getSecret("p2s-delivery-a");
    expect(stored.properties.expiresOn?.getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);
    expect(stored.properties.tags).toEqual({ purpose: "p2s-delivery", requestId });
    expect(await readPassphrase(secrets, "p2s-delivery-a")).toBe("pass-a");
    expect(await removePassphrase(secrets, "p2s-delivery-a")).toBe("purged");
    expect(vault.vault.secretNames()).not.toContain("p2s-delivery-a");
    expect(vault.vault.deletedSecretNames()).not.toContain("p2s-delivery-a");
    expect(await readPassphrase(secrets, "p2s-delivery-a")).toBeUndefined();
    expect(await removePassphrase(secrets, "p2s-delivery-a")).toBe("absent");
  });

  it("is gone once expired, whether Key Vault refuses the value or still answers it", async () => {
    await storePassphrase(secrets, "p2s-delivery-b", "pass-b", new Date(Date.now() - 1000), requestId);
    expect(await readPassphrase(secrets, "p2s-delivery-b")).toBeUndefined();
    vault.vault.setExpiredSecretReads("allowed");
    try {
      expect((await secrets.getSecret("p2s-delivery-b")).value).toBe("pass-b");
      expect(await readPassphrase(secrets, "p2s-delivery-b")).toBeUndefined();
    } finally {
      vault.vault.setExpiredSecretReads("refused");
    }
  });
});
