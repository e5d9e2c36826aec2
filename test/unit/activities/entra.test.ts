// applyEntraWork through the fake invoker, with Graph, the Entra state and the sync steps stubbed: subscriptions kept
// up and reauthorized, nothing done while Entra events are off, a user evaluated, a group synced only when it is the
// VPN group or nested in it, a reconcile pass over the group, its nested groups, the users and the holders, and each
// start a keyed lifecycle request from source entra.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
const mockClient = { fake: "durable client", getStatus: jest.fn() };
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
jest.mock("durable-functions", () =>
  jest
    .requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
    .durableFunctionsStandin(() => mockClient),
);
const mockNested = jest.fn();
const mockStateConfigs: unknown[] = [];
jest.mock("../../../src/clients/entra-state", () => ({
  EntraState: {
    fromConfig: (config: unknown) => {
      mockStateConfigs.push(config);
      return { nestedGroups: mockNested };
    },
  },
}));
const mockSync = {
  auditIgnoredGroup: jest.fn(),
  evaluateUser: jest.fn(),
  reconcileHolders: jest.fn(),
  syncUsers: jest.fn(),
  syncVpnGroup: jest.fn(),
};
jest.mock("../../../src/clients/entra-sync", () => ({
  auditIgnoredGroup: (...a: unknown[]): unknown => mockSync.auditIgnoredGroup(...a),
  evaluateUser: (...a: unknown[]): unknown => mockSync.evaluateUser(...a),
  reconcileHolders: (...a: unknown[]): unknown => mockSync.reconcileHolders(...a),
  syncUsers: (...a: unknown[]): unknown => mockSync.syncUsers(...a),
  syncVpnGroup: (...a: unknown[]): unknown => mockSync.syncVpnGroup(...a),
}));
const mockMaintain = jest.fn();
jest.mock("../../../src/clients/entra-subscriptions", () => ({
  maintainSubscriptions: (...a: unknown[]): unknown => mockMaintain(...a),
}));
const mockReauthorize = jest.fn();
jest.mock("../../../src/clients/graph-events", () => ({
  reauthorizeSubscription: (...a: unknown[]): unknown => mockReauthorize(...a),
}));
const mockStart = jest.fn();
jest.mock("../../../src/clients/lifecycle-start", () => ({
  startLifecycleRequest: (...a: unknown[]): unknown => mockStart(...a),
}));

import "../../../src/activities/entra";
import type { EntraSyncDeps, UserOutcome } from "../../../src/clients/entra-sync";
import { lifecycleInstanceId } from "../../../src/domain/lifecycle";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { FakeLedger } from "./activity-fakes";

const invoker = new FakeInvoker();
invoker.clientData = () => ({ taskHubName: "TestHub" });
const GROUP = "6f1c0a52-0000-4000-8000-00000000abcd";
const graph = { graph: true };
let ledger: FakeLedger;
let config: Record<string, unknown>;

const outcome = (decision: UserOutcome["decision"], subject: string = decision): UserOutcome => ({
  subject,
  decision,
  reason: decision,
});

beforeEach(() => {
  ledger = new FakeLedger();
  config = { ENTRA_EVENTS_ENABLED: true, ENTRA_VPN_GROUP_ID: GROUP.toUpperCase() };
  mockServices = {
    get config() {
      return config;
    },
    graph,
    ledger,
  };
  for (const mock of [...Object.values(mockSync), mockNested, mockMaintain, mockReauthorize, mockStart]) {
    mock.mockReset();
  }
  mockNested.mockResolvedValue([]);
});

const work = async (w: unknown): Promise<unknown> =>
  (await invoker.invoke("applyEntraWork", { work: w, actor: "entra:event", causeId: "cause-1" })).returnValue;

const none = { onboard: 0, offboard: 0, remember: 0, ignore: 0 };

describe("applyEntraWork", () => {
  it("keeps the subscriptions up and says what it did", async () => {
    mockMaintain.mockResolvedValue([
      { resource: "users", action: "renewed", id: "s1", expirationDateTime: "2030-01-03T00:00:00Z" },
      { resource: "groups", action: "created", id: "s2", expirationDateTime: "2030-01-04T00:00:00Z" },
    ]);
    expect(await work({ kind: "subscriptions" })).toEqual({
      ...none,
      detail: "users renewed until 2030-01-03T00:00:00Z; groups created until 2030-01-04T00:00:00Z",
    });
    expect(mockMaintain).toHaveBeenCalledWith(graph, config);
  });

  it("reauthorizes a subscription, then keeps them all up (making again one Graph dropped)", async () => {
    mockMaintain.mockResolvedValue([{ resource: "users", action: "kept", id: "s1", expirationDateTime: "x" }]);
    mockReauthorize.mockResolvedValue(true);
    expect(await work({ kind: "reauthorize", subscriptionId: "s1" })).toEqual({
      ...none,
      detail: "reauthorized; users kept",
    });
    expect(mockReauthorize).toHaveBeenCalledWith(graph, "s1");
    mockReauthorize.mockResolvedValue(false);
    mockMaintain.mockResolvedValue([
      { resource: "users", action: "created", id: "s3", expirationDateTime: "x" },
      { resource: "groups", action: "kept", id: "s2", expirationDateTime: "x" },
    ]);
    expect(await work({ kind: "reauthorize", subscriptionId: "s1" })).toEqual({
      ...none,
      detail: "gone; users created; groups kept",
    });
  });

  it("does nothing for users and groups while Entra events are off or no VPN group is set", async () => {
    const off = { ...none, detail: "Entra events are off (ENTRA_EVENTS_ENABLED, ENTRA_VPN_GROUP_ID)" };
    config = { ENTRA_EVENTS_ENABLED: false, ENTRA_VPN_GROUP_ID: GROUP };
    expect(await work({ kind: "user", objectId: "u1" })).toEqual(off);
    config = { ENTRA_EVENTS_ENABLED: true };
    expect(await work({ kind: "reconcile" })).toEqual(off);
    expect(Object.values(mockSync).every((m) => m.mock.calls.length === 0)).toBe(true);
  });

  it("evaluates a user, counting its decision, with deps whose start is a keyed entra lifecycle request", async () => {
    mockSync.evaluateUser.mockResolvedValue(outcome("onboard"));
    expect(await work({ kind: "user", objectId: "u1" })).toEqual({ ...none, onboard: 1 });
    const [deps, target] = mockSync.evaluateUser.mock.calls[0] as [EntraSyncDeps, unknown];
    expect(target).toEqual({ objectId: "u1" });
    expect(deps).toMatchObject({ config, graph, ledger, actor: "entra:event", causeId: "cause-1" });

    mockStart.mockResolvedValue({ requestId: "R-1", instanceId: "i", started: true });
    const before = Date.now();
    expect(
      await deps.start({ sourceKey: "entra:u1:1", action: "onboard", upn: "ada@contoso.com", reason: "joined" }),
    ).toEqual({ requestId: "R-1", instanceId: "i", started: true });
    const [client, submission, at] = mockStart.mock.calls[0] as [unknown, unknown, Date];
    expect(client).toBe(mockClient);
    expect(submission).toEqual({
      source: "entra",
      sourceKey: "entra:u1:1",
      action: "onboard",
      upn: "ada@contoso.com",
      actor: "entra:event",
      reason: "joined",
    });
    expect(at.getTime()).toBeGreaterThanOrEqual(before);
    expect(at.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("gives deps that ask whether the entra offboarding under a key still runs (its lifecycle instance's status)", async () => {
    mockSync.evaluateUser.mockResolvedValue(outcome("ignore"));
    await work({ kind: "user", objectId: "u1" });
    const [deps] = mockSync.evaluateUser.mock.calls[0] as [EntraSyncDeps];
    const id = lifecycleInstanceId({ source: "entra", sourceKey: "u1:2", action: "offboard", upn: "ada@contoso.com" });
    const answers: [string | Error, boolean][] = [
      ["Pending", true],
      ["Running", true],
      ["Suspended", true],
      ["Completed", false],
      ["Failed", false],
      ["Terminated", false],
      [new Error("the extension answered HTTP 404"), false],
    ];
    for (const [status, running] of answers) {
      mockClient.getStatus.mockReset();
      if (status instanceof Error) mockClient.getStatus.mockRejectedValue(status);
      else mockClient.getStatus.mockResolvedValue({ runtimeStatus: status });
      expect([status, await deps.offboardingRunning("Ada@contoso.com", "u1:2")]).toEqual([status, running]);
      expect(mockClient.getStatus).toHaveBeenCalledWith(id);
    }
  });

  it("syncs the VPN group (its id in any case) and a group nested in it, and audits any other group as ignored", async () => {
    mockSync.syncVpnGroup.mockResolvedValue([outcome("offboard", "a"), outcome("offboard", "b"), outcome("ignore")]);
    expect(await work({ kind: "group", objectId: GROUP })).toEqual({ ...none, offboard: 2, ignore: 1 });
    expect((mockSync.syncVpnGroup.mock.calls[0] as unknown[])[1]).toBe(GROUP.toUpperCase());
    expect(mockNested).not.toHaveBeenCalled();

    mockNested.mockResolvedValue(["nested-1"]);
    mockSync.syncVpnGroup.mockResolvedValue([outcome("remember")]);
    expect(await work({ kind: "group", objectId: "NESTED-1" })).toEqual({ ...none, remember: 1 });
    expect((mockSync.syncVpnGroup.mock.calls[1] as unknown[])[1]).toBe("nested-1");

    mockSync.auditIgnoredGroup.mockResolvedValue(undefined);
    expect(await work({ kind: "group", objectId: "Other-Group" })).toEqual({
      ...none,
      detail: "group other-group ignored",
    });
    expect((mockSync.auditIgnoredGroup.mock.calls[0] as unknown[]).slice(1)).toEqual([
      "other-group",
      "not the VPN group nor a group nested in it",
    ]);
    expect(mockSync.syncVpnGroup).toHaveBeenCalledTimes(2);
  });

  it("reconciles the VPN group, each nested group (sharing what was seen), the users and the holders", async () => {
    mockNested.mockResolvedValue(["n1", "n2"]);
    const seenSets: unknown[] = [];
    mockSync.syncVpnGroup.mockImplementation((_d: unknown, id: string, seen: Set<string>) => {
      seenSets.push(seen);
      seen.add(id);
      return Promise.resolve([outcome("onboard", id)]);
    });
    mockSync.syncUsers.mockResolvedValue([outcome("remember"), outcome("ignore")]);
    mockSync.reconcileHolders.mockResolvedValue([outcome("offboard")]);
    expect(await work({ kind: "reconcile" })).toEqual({ onboard: 3, offboard: 1, remember: 1, ignore: 1 });
    expect(mockSync.syncVpnGroup.mock.calls.map((c) => (c as unknown[])[1])).toEqual([GROUP.toUpperCase(), "n1", "n2"]);
    expect(seenSets[0]).toBeInstanceOf(Set);
    expect(seenSets[1]).toBe(seenSets[0]);
    expect(seenSets[2]).toBe(seenSets[0]);
    expect(mockSync.syncUsers).toHaveBeenCalledTimes(1);
    expect(mockSync.reconcileHolders).toHaveBeenCalledTimes(1);
  });

  it("keeps one Entra state per configuration", async () => {
    mockSync.evaluateUser.mockResolvedValue(outcome("ignore"));
    const made = mockStateConfigs.length;
    await work({ kind: "user", objectId: "u1" });
    await work({ kind: "user", objectId: "u2" });
    expect(mockStateConfigs.length - made).toBeLessThanOrEqual(1);
    const states = mockSync.evaluateUser.mock.calls.map((c) => (c as [EntraSyncDeps])[0].state);
    expect(states[1]).toBe(states[0]);
    config = { ...config };
    await work({ kind: "user", objectId: "u3" });
    expect(mockStateConfigs.at(-1)).toBe(config);
  });
});
