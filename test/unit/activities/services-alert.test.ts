// services(): the clients built once per configuration (rebuilt when the configuration is reloaded); raiseAlert: the
// alert raised once through the alerts table of that configuration, its log lines going to the invocation's logs.
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
jest.mock("../../../src/clients/root-registry", () => ({
  RootRegistry: { fromConfig: jest.fn((config: unknown) => ({ roots: config })) },
}));
jest.mock("../../../src/clients/alert-table", () => ({
  AlertTable: { fromConfig: jest.fn((config: unknown) => ({ table: config })) },
}));
jest.mock("../../../src/clients/alert-raise", () => ({ raiseAlertOnce: jest.fn() }));

import { InvocationContext } from "@azure/functions";
import "../../../src/activities/alert";
import { services } from "../../../src/activities/services";
import { raiseAlertOnce } from "../../../src/clients/alert-raise";
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
    expect(first.roots).toEqual({ roots: mockConfig.current });
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
  it("raises the alert once with the configuration's alerts table and logs its lines as the invocation's", async () => {
    const errors: unknown[] = [];
    const warnings: unknown[] = [];
    jest.spyOn(InvocationContext.prototype, "error").mockImplementation((...args: unknown[]) => {
      errors.push(...args);
    });
    jest.spyOn(InvocationContext.prototype, "warn").mockImplementation((...args: unknown[]) => {
      warnings.push(...args);
    });
    jest.mocked(raiseAlertOnce).mockImplementation((_deps, _alert, _now, log) => {
      log.error("ALERT critical: t");
      log.warn("ALERT warning: w");
      return Promise.resolve("logged");
    });
    const alert = { severity: "critical", title: "t", detail: "d", subject: "u@contoso.com" };
    const outcome = await new FakeInvoker().invoke("raiseAlert", alert);
    expect(outcome.returnValue).toBe("logged");
    expect(raiseAlertOnce).toHaveBeenCalledWith(
      expect.objectContaining({ config: mockConfig.current, alerts: { table: mockConfig.current } }),
      alert,
      expect.any(Date),
      expect.anything(),
    );
    expect(errors).toEqual(["ALERT critical: t"]);
    expect(warnings).toEqual(["ALERT warning: w"]);
  });
});
