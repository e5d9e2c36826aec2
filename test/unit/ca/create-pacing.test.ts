import { CertificateCreatePacer } from "../../../src/clients/certificate-create-pacer";
import { createPacerFor } from "../../../src/clients/create-pacing";
import { createKeyVaultClients } from "../../../src/clients/keyvault";
import { SharedCreatePacer } from "../../../src/clients/shared-create-pacer";
import { parseConfig } from "../../../src/config";
import { baseEnv } from "../../support/env";

describe("createPacerFor", () => {
  const config = (overrides: Record<string, string> = {}) => parseConfig(baseEnv(overrides));

  it("shares the budget through storage by default: one pacer per Key Vault clients and setting", () => {
    const kv = createKeyVaultClients(config());
    const pacer = createPacerFor(kv, config());
    expect(pacer).toBeInstanceOf(SharedCreatePacer);
    expect(createPacerFor(kv, config())).toBe(pacer);
    // Other clients stand for another instance of the app: a pacer of their own (sharing through the table).
    expect(createPacerFor(createKeyVaultClients(config()), config())).not.toBe(pacer);
    expect(createPacerFor(kv, config({ KEY_VAULT_CERTIFICATE_CREATES_PER_10S: "10" }))).not.toBe(pacer);
  });

  it("paces per instance with KEY_VAULT_CREATE_PACING=instance, and not at all with a limit of 0", () => {
    const kv = createKeyVaultClients(config());
    expect(createPacerFor(kv, config({ KEY_VAULT_CREATE_PACING: "instance" }))).toBeInstanceOf(CertificateCreatePacer);
    expect(createPacerFor(kv, config({ KEY_VAULT_CERTIFICATE_CREATES_PER_10S: "0" }))).toBeUndefined();
  });
});
