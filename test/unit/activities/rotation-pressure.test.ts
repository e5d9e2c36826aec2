// rotationRevocationPressure: how full the fullest gateway's revocation list would be, the writer's desired
// revocations plus each gateway's hand-added entries (which the writer keeps), as a count and a share of 300.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
const mockLoad = jest.fn();
jest.mock("../../../src/clients/desired-gateway-state", () => ({
  loadDesiredGatewayState: (...args: unknown[]): unknown => mockLoad(...args),
}));

import "../../../src/activities/root-rotation-steps";
import type { RevocationPressure } from "../../../src/activities/root-rotation-steps";
import type { GatewayRef } from "../../../src/clients/gateway";
import { revokedEntryName } from "../../../src/domain/gateway-config";
import type { P2sCertificateState } from "../../../src/domain/gateway-config";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { snapshot } from "./gateway-fakes";

const GW = (name: string): string =>
  `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/${name}`;
const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const owned = (n: number) => ({ name: revokedEntryName(tp(n)), thumbprint: tp(n) });
const handAdded = (n: number) => ({ name: `contractor-${String(n)}`, thumbprint: tp(10_000 + n) });
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

const invoker = new FakeInvoker();

function withGateways(states: Record<string, P2sCertificateState>, desired: number): string[] {
  const reads: string[] = [];
  mockServices = {
    config: {},
    ledger: {},
    keyVault: {},
    roots: {},
    gateways: {
      read: (ref: GatewayRef) => {
        reads.push(ref.name);
        const state = states[ref.name];
        if (state === undefined) throw new Error(`no gateway ${ref.name}`);
        return Promise.resolve(snapshot(state));
      },
    },
  };
  mockLoad.mockResolvedValue({
    desired: { roots: [], revokedThumbprints: range(1, desired).map(tp), expiredThumbprints: [] },
    revokedUsers: {},
  });
  return reads;
}

async function pressure(gatewayIds: readonly string[]): Promise<RevocationPressure> {
  return (await invoker.invoke("rotationRevocationPressure", { gatewayIds })).returnValue as RevocationPressure;
}

describe("rotationRevocationPressure", () => {
  it("counts every desired revocation plus the fullest gateway's hand-added entries, as a share of 300", async () => {
    const reads = withGateways(
      {
        // The app's own entries already on a gateway are among the desired ones: they are not counted twice.
        "vgw-1": { roots: [], revoked: [...range(1, 200).map(owned), handAdded(1)] },
        "vgw-2": { roots: [], revoked: [owned(1), ...range(1, 15).map(handAdded)] },
      },
      270,
    );
    const result = await pressure([GW("vgw-1"), GW("vgw-2")]);
    expect(result).toEqual({ gatewayId: GW("vgw-2"), count: 285, capacity: 300, percent: 95 });
    expect(reads).toEqual(["vgw-1", "vgw-2"]);
    expect(mockLoad).toHaveBeenCalled();
  });

  it("is the desired list alone when no gateway holds entries of its own", async () => {
    withGateways({ "vgw-1": { roots: [], revoked: range(1, 100).map(owned) } }, 280);
    expect(await pressure([GW("vgw-1")])).toEqual({
      gatewayId: GW("vgw-1"),
      count: 280,
      capacity: 300,
      percent: 93.3,
    });
  });

  it("names the first of equally full gateways, and no gateway when there is none", async () => {
    withGateways({ "vgw-1": { roots: [], revoked: [] }, "vgw-2": { roots: [], revoked: [] } }, 10);
    expect((await pressure([GW("vgw-1"), GW("vgw-2")])).gatewayId).toBe(GW("vgw-1"));
    expect(await pressure([])).toEqual({ gatewayId: "", count: 10, capacity: 300, percent: 3.3 });
  });
});
