// ensureRoot: the registry's current root from Key Vault, bootstrapped under its own blob lease on first use and
// audited only then; the registry keeps the root's public data.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
const mockLock = { lock: "root bootstrap lease" };
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
jest.mock("../../../src/clients/blob-lease-lock", () => ({ rootBootstrapLock: jest.fn(() => mockLock) }));
jest.mock("../../../src/clients/key-vault-ca", () => ({
  ...jest.requireActual<typeof import("../../../src/clients/key-vault-ca")>("../../../src/clients/key-vault-ca"),
  ensureRootCaDetailed: jest.fn(),
}));

import "../../../src/activities/ca-root";
import { rootBootstrapLock } from "../../../src/clients/blob-lease-lock";
import { CaStateError, ensureRootCaDetailed } from "../../../src/clients/key-vault-ca";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { fakeServices } from "./activity-fakes";
import type { FakeServices } from "./activity-fakes";

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0);
const root = {
  name: "p2s-root",
  subject: "CN=P2S Root",
  thumbprint: "AB".repeat(20),
  serialNumber: "01",
  notBefore: "2030-01-01T00:00:00.000Z",
  notAfter: "2040-01-01T00:00:00.000Z",
  publicCertData: "MIIB",
  keyId: "https://vault/keys/p2s-root/v1",
};
const invoker = new FakeInvoker();
let fake: FakeServices;
let registry: ReturnType<typeof fakeRegistry>;

/** The registry's current root, and what ensureRoot recorded of its certificate. */
function fakeRegistry(current: { name: string; state: "current"; generation: number; subject?: string }) {
  const row = { ...current, createdAt: "2030-01-01T00:00:00.000Z", updatedAt: "2030-01-01T00:00:00.000Z" };
  return {
    current: jest.fn(() => Promise.resolve(row)),
    recordCertificate: jest.fn(() => Promise.resolve(row)),
  };
}

beforeEach(() => {
  jest.useFakeTimers({ now: NOW, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  fake = fakeServices();
  registry = fakeRegistry({ name: "p2s-root", state: "current", generation: 1 });
  mockServices = { ...fake, roots: registry };
  jest.mocked(ensureRootCaDetailed).mockReset();
  jest.mocked(rootBootstrapLock).mockClear();
});

afterEach(() => {
  jest.useRealTimers();
});

describe("ensureRoot", () => {
  it("returns an existing root without auditing", async () => {
    jest.mocked(ensureRootCaDetailed).mockResolvedValue({ root, bootstrapped: false });
    const outcome = await invoker.invoke("ensureRoot", { actor: "helpdesk" });
    expect(outcome.returnValue).toEqual({ terminal: false, value: root });
    expect(ensureRootCaDetailed).toHaveBeenCalledWith(fake.keyVault, fake.config, new Date(NOW), { lock: mockLock });
    expect(rootBootstrapLock).toHaveBeenCalledWith(fake.config, {});
    expect(registry.recordCertificate).toHaveBeenCalledWith("p2s-root", root, new Date(NOW));
    expect(fake.ledger.audit).toEqual([]);
  });

  it("audits the root it bootstrapped, once, under the caller's name", async () => {
    jest.mocked(ensureRootCaDetailed).mockResolvedValue({ root, bootstrapped: true });
    await invoker.invoke("ensureRoot", { actor: "helpdesk" });
    expect(fake.ledger.audit).toEqual([
      {
        id: `root:${root.thumbprint}:created`,
        at: new Date(NOW),
        actor: "helpdesk",
        action: "root.created",
        subject: "root",
        reason: "configured root absent",
        source: "bootstrap",
        details: { name: "p2s-root", thumbprint: root.thumbprint, notAfter: root.notAfter },
      },
    ]);
  });

  it("signs with the registry's current root: its own name, subject and lock", async () => {
    registry = fakeRegistry({ name: "p2s-root-g2", state: "current", generation: 2, subject: "CN=P2S Root G2" });
    mockServices = { ...fake, roots: registry };
    const second = { ...root, name: "p2s-root-g2", thumbprint: "CD".repeat(20) };
    jest.mocked(ensureRootCaDetailed).mockResolvedValue({ root: second, bootstrapped: false });
    const outcome = await invoker.invoke("ensureRoot", { actor: "helpdesk" });
    expect(outcome.returnValue).toEqual({ terminal: false, value: second });
    const config = { ...fake.config, CA_ROOT_NAME: "p2s-root-g2", CA_ROOT_SUBJECT: "CN=P2S Root G2" };
    expect(ensureRootCaDetailed).toHaveBeenCalledWith(fake.keyVault, config, new Date(NOW), { lock: mockLock });
    expect(rootBootstrapLock).toHaveBeenCalledWith({ ...fake.config, CA_ROOT_NAME: "p2s-root-g2" }, {});
  });

  it("returns a terminal Key Vault state as an outcome", async () => {
    jest.mocked(ensureRootCaDetailed).mockRejectedValue(new CaStateError("root key is disabled", { terminal: true }));
    const outcome = await invoker.invoke("ensureRoot", { actor: "helpdesk" });
    expect(outcome.returnValue).toEqual({ terminal: true, error: "CaStateError", message: "root key is disabled" });
  });
});
