// The VPN group gate's activities with a stubbed Graph client and an in-memory ledger: what each directory answer
// decides (off when ENTRA_VPN_GROUP_ID is unset), that Graph's errors are thrown (for the orchestration's retry) and
// never read as a refusal, and that a refusal is audited once, with the actor.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));

import "../../../src/activities/vpn-group-gate";
import { GraphError } from "../../../src/clients/graph";
import type { GraphUser } from "../../../src/clients/graph";
import type { IssuanceRequest } from "../../../src/domain/issuance";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { FakeLedger } from "./activity-fakes";

const GROUP = "5b0e1c8a-6f3d-4e2a-9c71-0a1b2c3d4e5f";
const invoker = new FakeInvoker();

interface StubGraph {
  users: Map<string, GraphUser>;
  memberOf: Map<string, string[]>;
  getUser: jest.Mock<Promise<GraphUser | undefined>, [string]>;
  checkMemberGroups: jest.Mock<Promise<string[]>, [string, readonly string[]]>;
}

let graph: StubGraph;
let ledger: FakeLedger;

function stubGraph(): StubGraph {
  const users = new Map<string, GraphUser>();
  const memberOf = new Map<string, string[]>();
  return {
    users,
    memberOf,
    getUser: jest.fn((upn: string) => Promise.resolve(users.get(upn))),
    checkMemberGroups: jest.fn((id: string, groupIds: readonly string[]) =>
      Promise.resolve((memberOf.get(id) ?? []).filter((g) => groupIds.includes(g))),
    ),
  };
}

function useServices(groupId: string | undefined): void {
  mockServices = { config: { ENTRA_VPN_GROUP_ID: groupId }, graph, ledger };
}

const check = async (upn: string): Promise<unknown> => (await invoker.invoke("checkVpnGroup", { upn })).returnValue;

beforeEach(() => {
  graph = stubGraph();
  ledger = new FakeLedger();
  useServices(GROUP);
  graph.users.set("alice@contoso.com", {
    id: "id-alice",
    userPrincipalName: "alice@contoso.com",
    accountEnabled: true,
  });
  graph.memberOf.set("id-alice", [GROUP]);
  graph.users.set("dave@contoso.com", { id: "id-dave", userPrincipalName: "dave@contoso.com", accountEnabled: false });
  graph.memberOf.set("id-dave", [GROUP]);
  graph.users.set("mallory@contoso.com", {
    id: "id-mal",
    userPrincipalName: "mallory@contoso.com",
    accountEnabled: true,
  });
});

describe("checkVpnGroup", () => {
  it("allows without calling Graph when ENTRA_VPN_GROUP_ID is unset", async () => {
    useServices(undefined);
    expect(await check("nobody@contoso.com")).toEqual({ allowed: true, checked: false });
    expect(graph.getUser).not.toHaveBeenCalled();
  });

  it("allows an enabled member, checking the user's object id against the one group", async () => {
    expect(await check("alice@contoso.com")).toEqual({ allowed: true, checked: true, userId: "id-alice" });
    expect(graph.checkMemberGroups).toHaveBeenCalledWith("id-alice", [GROUP]);
  });

  it.each([
    ["mallory@contoso.com", "notInGroup", `mallory@contoso.com is not a member of the VPN group ${GROUP}`],
    ["dave@contoso.com", "accountDisabled", "dave@contoso.com's account is disabled in the directory"],
    ["nobody@contoso.com", "userNotFound", "nobody@contoso.com does not exist in the directory"],
  ])("refuses %s: %s", async (upn, refusal, message) => {
    expect(await check(upn)).toEqual({ allowed: false, refusal, message });
  });

  it("does not ask for the membership of a disabled or unknown user", async () => {
    await check("dave@contoso.com");
    await check("nobody@contoso.com");
    expect(graph.checkMemberGroups).not.toHaveBeenCalled();
  });

  it("throws Graph's error (retried by the orchestration), never a refusal", async () => {
    graph.getUser.mockRejectedValueOnce(new GraphError(429, "TooManyRequests", "still throttled"));
    await expect(invoker.invoke("checkVpnGroup", { upn: "alice@contoso.com" })).rejects.toThrow("still throttled");
    graph.checkMemberGroups.mockRejectedValueOnce(new GraphError(403, "Authorization_RequestDenied", "denied"));
    await expect(invoker.invoke("checkVpnGroup", { upn: "alice@contoso.com" })).rejects.toThrow("denied");
  });
});

describe("recordIssuanceRefused", () => {
  const request: IssuanceRequest = {
    upn: "Mallory@Contoso.com",
    requestId: "INC9",
    source: "ticket",
    sourceId: "T-9",
    actor: "helpdesk@contoso.com",
    certificateNamePrefix: "p2s-user",
    requestedAt: "2030-01-01T00:00:00.000Z",
  };

  it("audits the refusal once per request, with the actor, the reason and the group", async () => {
    const input = { request, refusal: "notInGroup", message: "mallory@contoso.com is not a member" };
    await invoker.invoke("recordIssuanceRefused", input);
    await invoker.invoke("recordIssuanceRefused", input);
    expect(ledger.audit).toHaveLength(2);
    expect(new Set(ledger.audit.map((entry) => entry.id))).toEqual(new Set(["INC9:refused"]));
    expect(ledger.audit[0]).toMatchObject({
      action: "certificate.refused",
      actor: "helpdesk@contoso.com",
      subject: "mallory@contoso.com",
      reason: "mallory@contoso.com is not a member",
      source: "ticket",
      requestId: "INC9",
      details: { refusal: "notInGroup", sourceId: "T-9", groupId: GROUP },
    });
  });
});
