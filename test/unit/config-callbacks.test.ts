// The callback settings and the one switch that lets the sandbox call its own loopback receivers.
import { ConfigError, parseConfig } from "../../src/config";
import { callbackUrlOptions } from "../../src/config-callbacks";
import { checkCallbackUrl } from "../../src/domain/callback-url";
import { baseEnv } from "../support/env";

describe("callback settings", () => {
  it("retries for 24 h by default, 10 s per attempt", () => {
    const config = parseConfig(baseEnv());
    expect(config.TICKETING_CALLBACK_MAX_HOURS).toBe(24);
    expect(config.TICKETING_CALLBACK_TIMEOUT_MS).toBe(10_000);
    expect(parseConfig(baseEnv({ TICKETING_CALLBACK_MAX_HOURS: "72" })).TICKETING_CALLBACK_MAX_HOURS).toBe(72);
  });

  it.each([
    ["TICKETING_CALLBACK_MAX_HOURS", "0"],
    ["TICKETING_CALLBACK_MAX_HOURS", "169"],
    ["TICKETING_CALLBACK_TIMEOUT_MS", "999"],
    ["TICKETING_CALLBACK_TIMEOUT_MS", "60001"],
  ])("refuses %s=%s", (name, value) => {
    expect(() => parseConfig(baseEnv({ [name]: value }))).toThrow(ConfigError);
  });

  it("allows loopback receivers only with P2S_CREDENTIAL=localEmulator (the sandbox)", () => {
    expect(callbackUrlOptions({ P2S_CREDENTIAL: "default" })).toEqual({ loopbackAllowed: false });
    expect(callbackUrlOptions({ P2S_CREDENTIAL: "managedIdentity" })).toEqual({ loopbackAllowed: false });
    expect(callbackUrlOptions({ P2S_CREDENTIAL: "localEmulator" })).toEqual({ loopbackAllowed: true });
    const local = "https://localhost:7443";
    for (const credential of ["default", "managedIdentity"]) {
      expect(checkCallbackUrl(`${local}/cb`, [local], callbackUrlOptions({ P2S_CREDENTIAL: credential })).ok).toBe(
        false,
      );
    }
    expect(checkCallbackUrl(`${local}/cb`, [local], callbackUrlOptions({ P2S_CREDENTIAL: "localEmulator" })).ok).toBe(
      true,
    );
  });
});
