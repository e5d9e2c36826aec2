// The Entra events settings: the notification URL's forms, the clientState's length, and the rules across them.
import { ConfigError, parseConfig } from "../../src/config";
import { baseEnv } from "../support/env";

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.setting);
    throw error;
  }
  return [];
}

const STATE = "c".repeat(43);
const GROUP = "5b0e1c8a-6f3d-4e2a-9c71-0a1b2c3d4e5f";

describe("Entra events settings", () => {
  it("are off by default, with schedules and a 72-hour renewal window", () => {
    const config = parseConfig(baseEnv());
    expect(config.ENTRA_EVENTS_ENABLED).toBe(false);
    expect(config.ENTRA_SUBSCRIPTION_RENEW_HOURS).toBe(72);
    expect(config.ENTRA_RECONCILE_SCHEDULE).toMatch(/^(\S+\s+){5}\S+$/);
  });

  it("take an https webhook, loopback http, or Graph's EventGrid: form, and nothing else", () => {
    for (const url of [
      "https://p2s.azurewebsites.net/api/v1/entra/notifications",
      "http://127.0.0.1:7071/api/v1/entra/notifications",
      "EventGrid:?azuresubscriptionid=s&resourcegroup=rg&partnertopic=entra&location=westeurope",
    ]) {
      expect(problemsOf(baseEnv({ ENTRA_NOTIFICATION_URL: url, ENTRA_NOTIFICATION_CLIENT_STATE: STATE }))).toEqual([]);
    }
    for (const url of ["http://p2s.example.com/hook", "EventGrid:?partnertopic=entra", "not a url"]) {
      expect(problemsOf(baseEnv({ ENTRA_NOTIFICATION_URL: url, ENTRA_NOTIFICATION_CLIENT_STATE: STATE }))).toEqual([
        "ENTRA_NOTIFICATION_URL",
      ]);
    }
  });

  it("refuse a short clientState, a URL without one, and events without the VPN group", () => {
    expect(problemsOf(baseEnv({ ENTRA_NOTIFICATION_CLIENT_STATE: "short" }))).toEqual([
      "ENTRA_NOTIFICATION_CLIENT_STATE",
    ]);
    expect(problemsOf(baseEnv({ ENTRA_NOTIFICATION_URL: "https://p2s.example.com/n" }))).toEqual([
      "ENTRA_NOTIFICATION_CLIENT_STATE",
    ]);
    expect(problemsOf(baseEnv({ ENTRA_EVENTS_ENABLED: "true", ENTRA_VPN_GROUP_ID: "" }))).toEqual([
      "ENTRA_VPN_GROUP_ID",
    ]);
    expect(problemsOf(baseEnv({ ENTRA_EVENTS_ENABLED: "true", ENTRA_VPN_GROUP_ID: GROUP }))).toEqual([]);
  });
});
