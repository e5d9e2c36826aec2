// Which credential each P2S_CREDENTIAL / AZURE_CLIENT_ID combination builds. The real @azure/identity classes are
// constructed (they reach the network only on getToken); the constructors are wrapped to record their options.
jest.mock("@azure/identity", () => {
  const actual = jest.requireActual<typeof import("@azure/identity")>("@azure/identity");
  return {
    ...actual,
    DefaultAzureCredential: jest.fn(
      (options?: ConstructorParameters<typeof actual.DefaultAzureCredential>[0]) =>
        new actual.DefaultAzureCredential(options),
    ),
    ManagedIdentityCredential: jest.fn(
      (options?: { clientId?: string }) => new actual.ManagedIdentityCredential(options ?? {}),
    ),
  };
});

import * as identity from "@azure/identity";
import { getCredential } from "../../src/clients/credential";
import { parseConfig } from "../../src/config";
import { baseEnv } from "../support/env";

const actual = jest.requireActual<typeof import("@azure/identity")>("@azure/identity");
const defaultCtor = jest.mocked(identity.DefaultAzureCredential);
const managedCtor = jest.mocked(identity.ManagedIdentityCredential);
const CLIENT_ID = "11111111-2222-3333-4444-555555555555";

function credentialFor(env: Record<string, string | undefined>): identity.TokenCredential {
  return getCredential(parseConfig(baseEnv(env)));
}

beforeEach(() => {
  defaultCtor.mockClear();
  managedCtor.mockClear();
});

describe("getCredential", () => {
  it("P2S_CREDENTIAL=managedIdentity with AZURE_CLIENT_ID: ManagedIdentityCredential for that user-assigned id", () => {
    const credential = credentialFor({ P2S_CREDENTIAL: "managedIdentity", AZURE_CLIENT_ID: CLIENT_ID });
    expect(credential).toBeInstanceOf(actual.ManagedIdentityCredential);
    // The SDK adds its own defaults to the options object it is given.
    expect(managedCtor.mock.calls).toEqual([[expect.objectContaining({ clientId: CLIENT_ID })]]);
    expect(defaultCtor).not.toHaveBeenCalled();
  });

  it("P2S_CREDENTIAL=managedIdentity without AZURE_CLIENT_ID: the system-assigned identity", () => {
    const credential = credentialFor({ P2S_CREDENTIAL: "managedIdentity", AZURE_CLIENT_ID: undefined });
    expect(credential).toBeInstanceOf(actual.ManagedIdentityCredential);
    expect(managedCtor).toHaveBeenCalledTimes(1);
    const [options] = managedCtor.mock.calls[0] ?? [];
    expect((options as { clientId?: string } | undefined)?.clientId).toBeUndefined();
    expect(defaultCtor).not.toHaveBeenCalled();
  });

  it("default with AZURE_CLIENT_ID: DefaultAzureCredential whose managed identity is that id", () => {
    const credential = credentialFor({ AZURE_CLIENT_ID: CLIENT_ID });
    expect(credential).toBeInstanceOf(actual.DefaultAzureCredential);
    expect(defaultCtor.mock.calls).toEqual([[expect.objectContaining({ managedIdentityClientId: CLIENT_ID })]]);
    expect(managedCtor).not.toHaveBeenCalled();
  });

  it("default without AZURE_CLIENT_ID: a plain DefaultAzureCredential", () => {
    const credential = credentialFor({ P2S_CREDENTIAL: "default" });
    expect(credential).toBeInstanceOf(actual.DefaultAzureCredential);
    expect(defaultCtor).toHaveBeenCalledTimes(1);
    const [options] = defaultCtor.mock.calls[0] ?? [];
    expect(options).toBeUndefined();
  });

  it("localEmulator: a fixed token, and no Azure credential at all", async () => {
    const credential = credentialFor({
      P2S_CREDENTIAL: "localEmulator",
      KEY_VAULT_URL: "https://127.0.0.1:8443",
      ARM_ENDPOINT: "https://127.0.0.1:8444",
      GRAPH_ENDPOINT: "https://127.0.0.1:8445",
    });
    expect(credential).not.toBeInstanceOf(actual.DefaultAzureCredential);
    expect(credential).not.toBeInstanceOf(actual.ManagedIdentityCredential);
    await expect(credential.getToken("https://vault.azure.net/.default")).resolves.toMatchObject({
      token: "local-emulator-token",
    });
    expect(defaultCtor).not.toHaveBeenCalled();
    expect(managedCtor).not.toHaveBeenCalled();
  });

  it("builds once per setting combination", () => {
    const first = credentialFor({ P2S_CREDENTIAL: "managedIdentity", AZURE_CLIENT_ID: CLIENT_ID });
    expect(credentialFor({ P2S_CREDENTIAL: "managedIdentity", AZURE_CLIENT_ID: CLIENT_ID })).toBe(first);
    const other = credentialFor({ P2S_CREDENTIAL: "managedIdentity", AZURE_CLIENT_ID: undefined });
    expect(other).not.toBe(first);
    expect(managedCtor).toHaveBeenCalledTimes(2);
  });
});
