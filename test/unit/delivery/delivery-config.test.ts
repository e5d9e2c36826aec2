// The delivery settings: defaults (72 hours, a private container name), the 1-72 hour bound, an https link storage,
// and the local emulator credential never sending its token to a link storage off this machine.
import { ConfigError, parseConfig } from "../../../src/config";
import { baseEnv } from "../../support/env";

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.setting);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const local = {
  P2S_CREDENTIAL: "localEmulator",
  KEY_VAULT_URL: "https://127.0.0.1:8443",
  ARM_ENDPOINT: "https://127.0.0.1:8444",
  GRAPH_ENDPOINT: "https://127.0.0.1:8445",
};

describe("delivery settings", () => {
  it("defaults to 72 hours in the p2s-deliveries container, with no link storage of its own", () => {
    const config = parseConfig(baseEnv());
    expect(config.DELIVERY_LINK_HOURS).toBe(72);
    expect(config.DELIVERY_CONTAINER).toBe("p2s-deliveries");
    expect(config.DELIVERY_BLOB_SERVICE_URI).toBeUndefined();
  });

  it("keeps a delivery within 1 to 72 hours", () => {
    expect(parseConfig(baseEnv({ DELIVERY_LINK_HOURS: "24" })).DELIVERY_LINK_HOURS).toBe(24);
    for (const hours of ["0", "73", "1.5", "ever"]) {
      expect(problemsOf(baseEnv({ DELIVERY_LINK_HOURS: hours }))).toEqual(["DELIVERY_LINK_HOURS"]);
    }
  });

  it("takes only a blob container name and an https link storage", () => {
    expect(problemsOf(baseEnv({ DELIVERY_CONTAINER: "Deliveries" }))).toEqual(["DELIVERY_CONTAINER"]);
    expect(problemsOf(baseEnv({ DELIVERY_BLOB_SERVICE_URI: "http://st.blob.core.windows.net" }))).toEqual([
      "DELIVERY_BLOB_SERVICE_URI",
    ]);
  });

  it("refuses the local emulator credential with a link storage that is not on loopback", () => {
    expect(parseConfig(baseEnv({ ...local, DELIVERY_BLOB_SERVICE_URI: "https://127.0.0.1:10010/a" }))).toBeTruthy();
    expect(problemsOf(baseEnv({ ...local, DELIVERY_BLOB_SERVICE_URI: "https://st.blob.core.windows.net" }))).toEqual([
      "DELIVERY_BLOB_SERVICE_URI",
    ]);
  });
});
