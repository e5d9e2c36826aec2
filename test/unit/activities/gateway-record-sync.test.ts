// recordGatewaySync and computeDesiredGatewayState: the pass recorded for the API, the journaled writes handed back
// once for the writer's warnings, and the desired state read with the services and the activity's own clock.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
jest.mock("../../../src/clients/desired-gateway-state", () => ({ loadDesiredGatewayState: jest.fn() }));

import "../../../src/activities/gateway-record-sync";
import "../../../src/activities/gateway-desired-state";
import { loadDesiredGatewayState } from "../../../src/clients/desired-gateway-state";
import type { JournaledWrite } from "../../../src/domain/gateway-write-journal";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { GATEWAY_ID, gatewayServices } from "./gateway-fakes";
import type { GatewayServices } from "./gateway-fakes";

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0);
const invoker = new FakeInvoker();
let fake: GatewayServices;

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

function write(key: string, rootsRemoved: JournaledWrite["rootsRemoved"]): JournaledWrite {
  return {
    key,
    passId: "gen-0:1",
    at: new Date(NOW - 1000),
    addedRevocations: [],
    prunedRevocations: [],
    rootsAdded: [],
    rootsRemoved,
    restored: [],
  };
}

beforeEach(() => {
  jest.useFakeTimers({ now: NOW, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  fake = gatewayServices();
  mockServices = fake;
});

afterEach(() => {
  jest.useRealTimers();
});

describe("recordGatewaySync", () => {
  const input = {
    gatewayId: GATEWAY_ID,
    passId: "gen-1:1",
    outcome: "written",
    detail: "added 1 revocations, pruned 0",
    revokedCount: 4,
    rootCount: 2,
  };

  it("records the pass, and hands back the journaled writes' expired roots once, each root once", async () => {
    const old = { name: "Old-Root", notAfter: "2029-01-01T00:00:00.000Z" };
    await fake.ledger.journalGatewayWrite(GATEWAY_ID, write("w1", [old]));
    await fake.ledger.journalGatewayWrite(GATEWAY_ID, write("w2", [{ ...old, name: "old-root" }]));
    await fake.ledger.journalGatewayWrite(GATEWAY_ID, write("w3", []));

    await expect(invoke("recordGatewaySync", input)).resolves.toEqual({
      written: 3,
      rootsRemoved: [{ name: "old-root", notAfter: "2029-01-01T00:00:00.000Z" }],
    });
    expect(fake.ledger.syncs).toEqual([
      {
        gatewayId: GATEWAY_ID,
        lastSyncAt: new Date(NOW),
        outcome: "written",
        detail: "added 1 revocations, pruned 0",
        revokedCount: 4,
        rootCount: 2,
      },
    ]);
    expect(fake.ledger.cleared).toEqual([{ gatewayId: GATEWAY_ID, keys: ["w1", "w2", "w3"] }]);
    expect(fake.ledger.journaledFor).toContain(`list:${GATEWAY_ID}`);

    // A repeat (its first result dropped) finds the journal empty.
    await expect(invoke("recordGatewaySync", input)).resolves.toEqual({ written: 0, rootsRemoved: [] });
  });
});

describe("computeDesiredGatewayState", () => {
  it("loads the desired state from the configuration, the ledger, Key Vault and the root registry now", async () => {
    const state = { desired: { roots: [], revokedThumbprints: ["AB"], expiredThumbprints: [] }, revokedUsers: {} };
    jest.mocked(loadDesiredGatewayState).mockResolvedValue(state);
    await expect(invoke("computeDesiredGatewayState", {})).resolves.toEqual(state);
    expect(loadDesiredGatewayState).toHaveBeenCalledWith(
      fake.config,
      { ledger: fake.ledger, keyVault: fake.keyVault, roots: undefined },
      new Date(NOW),
    );
  });
});
