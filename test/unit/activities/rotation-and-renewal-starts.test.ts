// The activities that start other orchestrations through the durable client, with the starters stubbed: a renewal
// keyed on the old certificate's thumbprint, the schedule's rotation once per root (again only after a failure), and
// the capacity policy's rotation (joined when one runs, started only with ROOT_ROTATION_AUTO, a failure answered).
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
const mockClient = { fake: "durable client" };
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
jest.mock("durable-functions", () =>
  jest
    .requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
    .durableFunctionsStandin(() => mockClient),
);
const mockStartLifecycle = jest.fn();
jest.mock("../../../src/clients/lifecycle-start", () => ({
  startLifecycleRequest: (...args: unknown[]): unknown => mockStartLifecycle(...args),
}));
const mockRunning = jest.fn();
const mockStartRotation = jest.fn();
jest.mock("../../../src/clients/root-rotation-start", () => ({
  runningRotation: (...args: unknown[]): unknown => mockRunning(...args),
  startRootRotation: (...args: unknown[]): unknown => mockStartRotation(...args),
}));
const mockStatus = jest.fn();
jest.mock("../../../src/clients/durable-start", () => ({
  instanceStatus: (...args: unknown[]): unknown => mockStatus(...args),
}));
const mockRoot = jest.fn();
jest.mock("../../../src/clients/key-vault-ca", () => ({
  getRootCa: (...args: unknown[]): unknown => mockRoot(...args),
}));

import { CAPACITY_ACTOR } from "../../../src/activities/capacity-rotation";
import { RENEWAL_ACTOR } from "../../../src/activities/renewal";
import { SCHEDULE_ACTOR } from "../../../src/activities/root-rotation-schedule";
import { FakeInvoker } from "../../support/durable/fake-invoker";

const invoker = new FakeInvoker();
invoker.clientData = () => ({ taskHubName: "TestHub" });
const NOW = "2030-06-01T12:00:00.000Z";
const keyVault = { kv: true };
let config: Record<string, unknown>;

beforeEach(() => {
  config = { ROOT_ROTATION_BEFORE_EXPIRY_DAYS: 30, ROOT_ROTATION_AUTO: true };
  mockServices = {
    get config() {
      return config;
    },
    keyVault,
    roots: { current: () => Promise.resolve({ name: "p2s-root-g2", state: "current" }) },
  };
  for (const mock of [mockStartLifecycle, mockRunning, mockStartRotation, mockStatus, mockRoot]) mock.mockReset();
});

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

describe("startRenewal", () => {
  it("starts a renew request keyed on the old certificate's thumbprint, accepted at the orchestration's time", async () => {
    const started = { requestId: "R-1", instanceId: "lifecycle-1", started: true };
    mockStartLifecycle.mockResolvedValue(started);
    const candidate = {
      upn: "Ada@Contoso.com",
      certificateName: "p2s-ada-1",
      thumbprint: "AB".repeat(20),
      notAfter: "2030-06-20T00:00:00.000Z",
    };
    expect(await invoke("startRenewal", { ...candidate, now: NOW })).toEqual(started);
    expect(RENEWAL_ACTOR).toBe("system:renewal");
    expect(mockStartLifecycle).toHaveBeenCalledWith(
      mockClient,
      {
        source: "renewal",
        sourceKey: candidate.thumbprint,
        action: "renew",
        upn: "Ada@Contoso.com",
        actor: "system:renewal",
        reason: `renewal of ${candidate.thumbprint} (p2s-ada-1), which expires 2030-06-20T00:00:00.000Z`,
      },
      new Date(NOW),
    );
  });
});

describe("startScheduledRotation", () => {
  const root = (notAfter: string): unknown => ({ name: "p2s-root-g2", notAfter });
  // 30 days before the root's end is 2030-07-01T12:00Z - 30 d = 2030-06-01T12:00Z: NOW exactly.
  const DUE_AT_NOW = "2030-07-01T12:00:00.000Z";

  it("starts nothing while the current root has more than ROOT_ROTATION_BEFORE_EXPIRY_DAYS left", async () => {
    mockRoot.mockResolvedValue(root("2030-07-01T12:00:00.001Z"));
    expect(await invoke("startScheduledRotation", { now: NOW })).toEqual({ due: false });
    expect(mockRoot).toHaveBeenCalledWith(keyVault, { CA_ROOT_NAME: "p2s-root-g2" });
    expect(mockStatus).not.toHaveBeenCalled();
    expect(mockStartRotation).not.toHaveBeenCalled();
  });

  it("starts nothing when Key Vault holds no current root", async () => {
    mockRoot.mockResolvedValue(undefined);
    expect(await invoke("startScheduledRotation", { now: NOW })).toEqual({ due: false });
    expect(mockStartRotation).not.toHaveBeenCalled();
  });

  it("starts the rotation at the mark exactly, as the schedule, with the root's end in its reason", async () => {
    mockRoot.mockResolvedValue(root(DUE_AT_NOW));
    mockStatus.mockResolvedValue(undefined);
    mockStartRotation.mockResolvedValue({ requestId: "rot-req", started: true });
    expect(await invoke("startScheduledRotation", { now: NOW })).toEqual({
      due: true,
      requestId: "rot-req",
      started: true,
    });
    expect(mockStatus).toHaveBeenCalledWith(mockClient, "root-rotation-p2s-root-g2-1");
    expect(SCHEDULE_ACTOR).toBe("system:schedule");
    expect(mockStartRotation).toHaveBeenCalledWith(
      mockClient,
      {
        trigger: "schedule",
        actor: "system:schedule",
        reason: `the root p2s-root-g2 expires ${DUE_AT_NOW}, within ROOT_ROTATION_BEFORE_EXPIRY_DAYS (30)`,
      },
      new Date(NOW),
    );
  });

  it("does not start again once a rotation away from this root ran or runs, but does after one failed", async () => {
    mockRoot.mockResolvedValue(root(DUE_AT_NOW));
    mockStartRotation.mockResolvedValue({ requestId: "rot-req", started: false });
    for (const status of ["Completed", "Running", "Terminated"]) {
      mockStatus.mockResolvedValue(status);
      expect(await invoke("startScheduledRotation", { now: NOW })).toEqual({ due: false });
    }
    expect(mockStartRotation).not.toHaveBeenCalled();
    mockStatus.mockResolvedValue("Failed");
    expect(await invoke("startScheduledRotation", { now: NOW })).toEqual({
      due: true,
      requestId: "rot-req",
      started: false,
    });
  });
});

describe("rotationForCapacity", () => {
  const ask = (): Promise<unknown> => invoke("rotationForCapacity", { reason: "vgw-1 is full", now: NOW });

  it("joins the rotation that runs, with its step, and starts none", async () => {
    mockRunning.mockResolvedValue({ requestId: "rot-1", instanceId: "root-rotation-x-1", step: "reissuing" });
    expect(await ask()).toEqual({ auto: true, state: "running", requestId: "rot-1", step: "reissuing" });
    mockRunning.mockResolvedValue({ requestId: "rot-1", instanceId: "root-rotation-x-1" });
    config = { ...config, ROOT_ROTATION_AUTO: false };
    expect(await ask()).toEqual({ auto: false, state: "running", requestId: "rot-1" });
    expect(mockRunning).toHaveBeenCalledWith(mockClient);
    expect(mockStartRotation).not.toHaveBeenCalled();
  });

  it("starts one with ROOT_ROTATION_AUTO when none runs, as the capacity policy, at the orchestration's time", async () => {
    mockRunning.mockResolvedValue(undefined);
    mockStartRotation.mockResolvedValue({ requestId: "rot-2", started: true });
    expect(await ask()).toEqual({ auto: true, state: "started", requestId: "rot-2" });
    expect(CAPACITY_ACTOR).toBe("system:capacity");
    expect(mockStartRotation).toHaveBeenCalledWith(
      mockClient,
      { trigger: "capacity", actor: "system:capacity", reason: "vgw-1 is full" },
      new Date(NOW),
    );
    // One started between the read and the start: joined.
    mockStartRotation.mockResolvedValue({ requestId: "rot-3", started: false });
    expect(await ask()).toEqual({ auto: true, state: "running", requestId: "rot-3" });
  });

  it("without ROOT_ROTATION_AUTO only says none runs", async () => {
    config = { ...config, ROOT_ROTATION_AUTO: false };
    mockRunning.mockResolvedValue(undefined);
    expect(await ask()).toEqual({ auto: false, state: "none" });
    expect(mockStartRotation).not.toHaveBeenCalled();
  });

  it("answers a failure with its first line instead of throwing", async () => {
    mockRunning.mockRejectedValue(new Error("table unavailable\n  at stack"));
    expect(await ask()).toEqual({ auto: true, state: "failed", detail: "table unavailable" });
    expect(invoker.logs.at(-1)).toEqual({ level: "warning", message: "rotationForCapacity: table unavailable" });
    mockRunning.mockResolvedValue(undefined);
    mockStartRotation.mockRejectedValue("not an Error\nsecond line");
    expect(await ask()).toEqual({ auto: true, state: "failed", detail: "not an Error" });
  });
});
