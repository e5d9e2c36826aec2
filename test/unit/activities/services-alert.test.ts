// services(): the clients built once per configuration (rebuilt when the configuration is reloaded); raiseAlert: the
// alert sent with that configuration, its log line going to the invocation's error log.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
const mockConfig = { current: { GATEWAY_POLL_INTERVAL_MS: 1234 } as Record<string, unknown> };
jest.mock("../../../src/config", () => ({ getConfig: () => mockConfig.current }));
jest.mock("../../../src/clients/ledger", () => ({
  Ledger: { fromConfig: jest.fn((config: unknown) => ({ config })) },
}));
jest.mock("../../../src/clients/gateway", () => ({ GatewayClient: jest.fn() }));
jest.mock("../../../src/clients/graph", () => ({ GraphClient: jest.fn() }));
jest.mock("../../../src/clients/keyvault", () => ({ keyVaultClients: jest.fn((config: unknown) => ({ config })) }));
jest.mock("../../../src/clients/alerts", () => ({ sendAlert: jest.fn() }));

import { InvocationContext } from "@azure/functions";
import "../../../src/activities/alert";
import { services } from "../../../src/activities/services";
import { sendAlert } from "../../../src/clients/alerts";
import { GatewayClient } from "../../../src/clients/gateway";
import { GraphClient } from "../../../src/clients/graph";
import { keyVaultClients } from "../../../src/clients/keyvault";
import { Ledger } from "../../../src/clients/ledger";
import { FakeInvoker } from "../../support/durable/fake-invoker";

describe("services", () => {
  it("builds the clients from the configuration once, and again only when the configuration is reloaded", () => {
    const first = services();
    expect(first.config).toBe(mockConfig.current);
    expect(first.ledger).toEqual({ config: mockConfig.current });
    expect(first.keyVault).toEqual({ config: mockConfig.current });
    expect(first.gateways).toBeInstanceOf(GatewayClient);
    expect(GatewayClient).toHaveBeenCalledWith(mockConfig.current, { pollIntervalMs: 1234 });
    expect(GraphClient).toHaveBeenCalledWith(mockConfig.current);
    expect(services()).toBe(first);
    expect(Ledger.fromConfig).toHaveBeenCalledTimes(1);

    mockConfig.current = { GATEWAY_POLL_INTERVAL_MS: 99 };
    const second = services();
    expect(second).not.toBe(first);
    expect(second.config).toBe(mockConfig.current);
    expect(GatewayClient).toHaveBeenLastCalledWith(mockConfig.current, { pollIntervalMs: 99 });
    expect(keyVaultClients).toHaveBeenCalledTimes(2);
  });
});

describe("raiseAlert", () => {
  it("sends the alert with the configuration and logs its line as an error of the invocation", async () => {
    const errors: unknown[] = [];
    jest.spyOn(InvocationContext.prototype, "error").mockImplementation((...args: unknown[]) => {
      errors.push(...args);
    });
    jest.mocked(sendAlert).mockImplementation((_config, _alert, log) => {
      log("ALERT critical: t: d");
      return Promise.resolve("logged");
    });
    const alert = { severity: "critical", title: "t", detail: "d", subject: "u@contoso.com" };
    const outcome = await new FakeInvoker().invoke("raiseAlert", alert);
    expect(outcome.returnValue).toBe("logged");
    expect(sendAlert).toHaveBeenCalledWith(mockConfig.current, alert, expect.any(Function));
    expect(errors).toEqual(["ALERT critical: t: d"]);
  });
});
