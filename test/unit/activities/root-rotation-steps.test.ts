// The root rotation's own activities through the fake invoker, with the rotations table, Key Vault, the gateway
// client and the durable client stubbed: the old root recorded once, the leftover retiring roots, the step audit, what
// a gateway trusts, and the renewals started, followed and settled.
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
const mockTable = { oldRoot: jest.fn(), record: jest.fn(), settle: jest.fn(), list: jest.fn() };
const mockTableConfigs: unknown[] = [];
jest.mock("../../../src/clients/rotation-table", () => ({
  RotationTable: {
    fromConfig: (config: unknown) => {
      mockTableConfigs.push(config);
      return mockTable;
    },
  },
}));
const mockRoot = jest.fn();
jest.mock("../../../src/clients/key-vault-ca", () => ({ getRootCa: (...a: unknown[]): unknown => mockRoot(...a) }));
const mockStart = jest.fn();
jest.mock("../../../src/clients/lifecycle-start", () => ({
  startLifecycleRequest: (...a: unknown[]): unknown => mockStart(...a),
}));
const mockSnapshot = jest.fn();
jest.mock("../../../src/clients/request-status", () => ({
  instanceSnapshot: (...a: unknown[]): unknown => mockSnapshot(...a),
}));

import { createHash } from "node:crypto";
import "../../../src/activities/root-rotation-steps";
import type { GatewayRef } from "../../../src/clients/gateway";
import type { RotationRenewal } from "../../../src/clients/rotation-table";
import type { RootEntry } from "../../../src/domain/gateway-config";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { FakeLedger } from "./activity-fakes";
import { snapshot } from "./gateway-fakes";

const invoker = new FakeInvoker();
invoker.clientData = () => ({ taskHubName: "TestHub" });
const ROT = "r".repeat(32);
let ledger: FakeLedger;
let config: Record<string, unknown>;
let registry: { name: string; state: string; thumbprint?: string }[];
let gatewayState: { roots: RootEntry[]; provisioningState: string | undefined };
const reads: string[] = [];

beforeEach(() => {
  ledger = new FakeLedger();
  config = { LEDGER_TABLE_PREFIX: "p2s" };
  registry = [];
  gatewayState = { roots: [], provisioningState: "Succeeded" };
  reads.length = 0;
  mockServices = {
    get config() {
      return config;
    },
    ledger,
    keyVault: { kv: true },
    roots: {
      list: () => Promise.resolve(registry),
      current: () => Promise.resolve({ name: "p2s-root-g2", state: "current" }),
    },
    gateways: {
      read: (ref: GatewayRef) => {
        reads.push(ref.name);
        const read = snapshot({ roots: gatewayState.roots, revoked: [] });
        // Built here: snapshot()'s default would turn an undefined provisioning state into "Succeeded".
        return Promise.resolve({ ...read, provisioningState: gatewayState.provisioningState });
      },
    },
  };
  for (const mock of [mockTable.oldRoot, mockTable.record, mockTable.settle, mockTable.list]) mock.mockReset();
  for (const mock of [mockRoot, mockStart, mockSnapshot]) mock.mockReset();
});

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

describe("rotationOldRoot", () => {
  it("records the signing root once, in the rotations table of the configuration in force", async () => {
    mockTable.oldRoot.mockImplementation((_id: string, current: () => Promise<unknown>) => current());
    mockRoot.mockResolvedValue({ name: "p2s-root-g2", thumbprint: "AA".repeat(20), notAfter: "x", keyId: "k" });
    expect(await invoke("rotationOldRoot", { rotationId: ROT })).toEqual({
      name: "p2s-root-g2",
      thumbprint: "AA".repeat(20),
    });
    expect(mockTable.oldRoot).toHaveBeenCalledWith(ROT, expect.any(Function));
    expect(mockRoot).toHaveBeenCalledWith({ kv: true }, { CA_ROOT_NAME: "p2s-root-g2" });
    // The table is made once per configuration.
    const made = mockTableConfigs.length;
    await invoke("rotationOldRoot", { rotationId: ROT });
    expect(mockTableConfigs).toHaveLength(made);
    config = { LEDGER_TABLE_PREFIX: "other" };
    await invoke("rotationOldRoot", { rotationId: ROT });
    expect(mockTableConfigs).toHaveLength(made + 1);
    expect(mockTableConfigs.at(-1)).toBe(config);
  });

  it("fails when Key Vault holds no current root: there is nothing to rotate", async () => {
    mockTable.oldRoot.mockImplementation((_id: string, current: () => Promise<unknown>) => current());
    mockRoot.mockResolvedValue(undefined);
    await expect(invoke("rotationOldRoot", { rotationId: ROT })).rejects.toThrow(
      "the root p2s-root-g2 does not exist: there is nothing to rotate",
    );
  });
});

describe("rotationLeftoverRoots", () => {
  it("lists the retiring roots other than the rotation's old and new ones, with a thumbprint", async () => {
    registry = [
      { name: "p2s-root", state: "retiring", thumbprint: "A".repeat(40) },
      { name: "p2s-root-g1b", state: "retiring", thumbprint: "C".repeat(40) },
      { name: "p2s-root-g1c", state: "retiring" },
      { name: "p2s-root-g1d", state: "retired", thumbprint: "D".repeat(40) },
      { name: "p2s-root-g2", state: "current", thumbprint: "B".repeat(40) },
      { name: "p2s-root-g3", state: "retiring", thumbprint: "E".repeat(40) },
    ];
    expect(await invoke("rotationLeftoverRoots", { keep: "p2s-root-g3", old: "p2s-root" })).toEqual([
      { name: "p2s-root-g1b", thumbprint: "C".repeat(40) },
    ]);
  });
});

describe("auditRotation", () => {
  it("writes one row per rotation and event, with the details when given", async () => {
    const audit = {
      rotationId: ROT,
      actor: "user:op",
      action: "rotation.step",
      event: "step:reissuing",
      reason: "yearly",
    };
    expect(await invoke("auditRotation", { ...audit, details: { reissued: 2 } })).toBe("recorded");
    await invoke("auditRotation", { ...audit, event: "completed", action: "rotation.completed" });
    expect(ledger.audit).toEqual([
      {
        id: `${ROT}:step:reissuing`,
        at: expect.any(Date) as unknown,
        actor: "user:op",
        action: "rotation.step",
        subject: "root",
        reason: "yearly",
        source: "rotation",
        requestId: ROT,
        details: { reissued: 2 },
      },
      {
        id: `${ROT}:completed`,
        at: expect.any(Date) as unknown,
        actor: "user:op",
        action: "rotation.completed",
        subject: "root",
        reason: "yearly",
        source: "rotation",
        requestId: ROT,
      },
    ]);
  });
});

describe("checkGatewayRoots", () => {
  const GW = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/vgw-1";
  const der = (text: string): Buffer => Buffer.from(text);
  const tp = (text: string): string => createHash("sha1").update(der(text)).digest("hex").toUpperCase();
  const entry = (text: string): RootEntry => ({ name: text, publicCertData: der(text).toString("base64") });
  const check = (trusted: string[], absent: string[]): Promise<unknown> =>
    invoke("checkGatewayRoots", { gatewayId: GW, trusted, absent });

  it("holds when every trusted root is there (in any case) and no absent one, reading that gateway", async () => {
    gatewayState.roots = [entry("new"), entry("old"), { name: "broken", publicCertData: "" }];
    expect(await check([tp("new").toLowerCase(), tp("old")], [tp("gone")])).toEqual({ ok: true, detail: "" });
    expect(reads).toEqual(["vgw-1"]);
    gatewayState.provisioningState = undefined;
    expect(await check([tp("new")], [])).toEqual({ ok: true, detail: "" });
  });

  it("names each missing root, each root still there and an unsettled gateway", async () => {
    gatewayState.roots = [entry("old"), entry("leftover")];
    gatewayState.provisioningState = "Updating";
    expect(await check([tp("new"), tp("old")], [tp("old").toLowerCase(), tp("leftover")])).toEqual({
      ok: false,
      detail: [
        "the gateway is Updating",
        `root ${tp("new")} is not on it yet`,
        `root ${tp("old").toLowerCase()} is still on it`,
        `root ${tp("leftover")} is still on it`,
      ].join("; "),
    });
  });
});

describe("startRotationRenewals", () => {
  it("starts a renew request per user from source rotation, records each, and answers the instances", async () => {
    mockStart.mockImplementation((_c: unknown, s: { upn: string }) =>
      Promise.resolve({ requestId: `req-${s.upn}`, instanceId: `inst-${s.upn}`, started: true }),
    );
    const batch = {
      rotationId: ROT,
      actor: "user:op",
      reason: "root rotation: new root",
      upns: ["Ada@Contoso.com", "bob@contoso.com"],
      now: "2030-01-01T10:00:00.000Z",
    };
    expect(await invoke("startRotationRenewals", batch)).toEqual({
      instanceIds: ["inst-Ada@Contoso.com", "inst-bob@contoso.com"],
    });
    expect(mockStart).toHaveBeenCalledWith(
      mockClient,
      {
        source: "rotation",
        sourceKey: ROT,
        action: "renew",
        upn: "Ada@Contoso.com",
        actor: "user:op",
        reason: "root rotation: new root",
      },
      new Date("2030-01-01T10:00:00.000Z"),
    );
    expect(mockTable.record.mock.calls).toEqual([
      [
        {
          rotationId: ROT,
          userKey: "ada@contoso.com",
          requestId: "req-Ada@Contoso.com",
          instanceId: "inst-Ada@Contoso.com",
        },
      ],
      [
        {
          rotationId: ROT,
          userKey: "bob@contoso.com",
          requestId: "req-bob@contoso.com",
          instanceId: "inst-bob@contoso.com",
        },
      ],
    ]);
  });
});

describe("countUnissuedRenewals", () => {
  it("counts the renewals still before their certificate: unknown, running before delivery", async () => {
    const snapshots: Record<string, unknown> = {
      missing: undefined,
      issuing: { runtimeStatus: "Running", customStatus: { step: "issuing" }, output: null },
      blank: { runtimeStatus: "Pending", customStatus: null, output: null },
      preparing: { runtimeStatus: "Running", customStatus: { step: "preparing-delivery" }, output: null },
      awaiting: { runtimeStatus: "Running", customStatus: "awaiting-collection", output: null },
      revoking: { runtimeStatus: "Running", customStatus: { step: "revoking-old-certificates" }, output: null },
      calling: { runtimeStatus: "Running", customStatus: { step: "calling-back" }, output: null },
      done: { runtimeStatus: "Running", customStatus: { step: "done" }, output: null },
      completed: { runtimeStatus: "Completed", customStatus: null, output: null },
      failed: { runtimeStatus: "Failed", customStatus: { step: "issuing" }, output: null },
      terminated: { runtimeStatus: "Terminated", customStatus: null, output: null },
      canceled: { runtimeStatus: "Canceled", customStatus: null, output: null },
      suspended: { runtimeStatus: "Suspended", customStatus: { step: "issuing" }, output: null },
    };
    mockSnapshot.mockImplementation((_c: unknown, id: string) => Promise.resolve(snapshots[id]));
    expect(await invoke("countUnissuedRenewals", { instanceIds: Object.keys(snapshots) })).toBe(4);
    expect(mockSnapshot).toHaveBeenCalledWith(mockClient, "missing");
    for (const id of ["missing", "issuing", "blank", "suspended"]) {
      expect(await invoke("countUnissuedRenewals", { instanceIds: [id] })).toBe(1);
    }
  });
});

describe("countRotationCollection", () => {
  const renewal = (userKey: string, extra: Partial<RotationRenewal> = {}): RotationRenewal => ({
    rotationId: ROT,
    userKey,
    requestId: `req-${userKey}`,
    instanceId: `inst-${userKey}`,
    settled: false,
    collected: false,
    refused: false,
    ...extra,
  });

  it("settles the renewals that ended, as collected, uncollected or refused, and counts them", async () => {
    const open = [
      renewal("collected"),
      renewal("uncollected"),
      renewal("refused-out"),
      renewal("inactive"),
      renewal("no-output"),
      renewal("gone"),
      renewal("failed"),
      renewal("running"),
    ];
    const snapshots: Record<string, unknown> = {
      "inst-collected": { runtimeStatus: "Completed", output: { status: "active", collected: true } },
      "inst-uncollected": { runtimeStatus: "Completed", output: { status: "active", collected: false } },
      "inst-refused-out": { runtimeStatus: "Completed", output: { status: "active", collected: true, refused: true } },
      "inst-inactive": { runtimeStatus: "Completed", output: { status: "refused", collected: true } },
      "inst-no-output": { runtimeStatus: "Completed", output: null },
      "inst-gone": undefined,
      "inst-failed": { runtimeStatus: "Failed", output: null },
      "inst-running": { runtimeStatus: "Running", output: null },
    };
    mockSnapshot.mockImplementation((_c: unknown, id: string) => Promise.resolve(snapshots[id]));
    const settled: RotationRenewal[] = [];
    mockTable.settle.mockImplementation((r: RotationRenewal) => {
      settled.push(r);
      return Promise.resolve();
    });
    mockTable.list.mockImplementation((_id: string, onlyOpen?: boolean) =>
      Promise.resolve(
        onlyOpen === true
          ? open
          : [
              ...open.map((r) => settled.find((s) => s.userKey === r.userKey) ?? r),
              renewal("earlier", { settled: true, collected: true }),
            ],
      ),
    );

    expect(await invoke("countRotationCollection", { rotationId: ROT })).toEqual({
      reissued: 4,
      collected: 2,
      open: 1,
    });
    expect(mockTable.list.mock.calls).toEqual([[ROT, true], [ROT]]);
    const flags = Object.fromEntries(settled.map((r) => [r.userKey, [r.settled, r.collected, r.refused]]));
    expect(flags).toEqual({
      collected: [true, true, false],
      uncollected: [true, false, false],
      "refused-out": [true, false, true],
      inactive: [true, false, true],
      "no-output": [true, false, true],
      gone: [true, false, true],
      failed: [true, false, true],
    });
    expect(settled[0]).toEqual({ ...renewal("collected"), settled: true, collected: true, refused: false });
  });
});
