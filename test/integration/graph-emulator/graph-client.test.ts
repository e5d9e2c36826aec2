// The app's Graph client (src/clients/graph.ts) against the Graph emulator, trusted through P2S_TRUSTED_CA_FILE as the
// other clients are: users and their VPN group membership as the gate reads them, Graph's throttling ridden out
// within the bound (Retry-After when sent, else an exponential wait), and errors that must never read as "no user".
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import { startGraphEmulator } from "../../../dev/emulators/graph";
import type { GraphEmulator } from "../../../dev/emulators/graph";
import { GraphClient, GraphError } from "../../../src/clients/graph";
import type { GraphConfig } from "../../../src/clients/graph";

describe("GraphClient against the Graph emulator", () => {
  let graph: GraphEmulator;
  let dir: string;
  let config: GraphConfig;
  let waits: number[];
  const client = (overrides: Partial<GraphConfig> = {}): GraphClient =>
    new GraphClient(
      { ...config, ...overrides },
      {
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );

  beforeAll(async () => {
    const ca = await createEmulatorCa();
    dir = mkdtempSync(join(tmpdir(), "p2s-graph-"));
    await ca.writeCertPem(join(dir, "ca.pem"));
    graph = await startGraphEmulator({ ca });
    config = {
      GRAPH_ENDPOINT: graph.url,
      GRAPH_AUDIENCE: "https://graph.microsoft.com/.default",
      GRAPH_THROTTLE_MAX_WAIT_MS: 60_000,
      P2S_CREDENTIAL: "localEmulator",
      AZURE_CLIENT_ID: undefined,
      P2S_TRUSTED_CA_FILE: join(dir, "ca.pem"),
    };
    graph.directory.upsertUser({ upn: "alice@contoso.com" });
    graph.directory.addMember(graph.vpnGroupId, "alice@contoso.com");
    graph.directory.upsertUser({ upn: "dave@contoso.com", accountEnabled: false });
    const nested = graph.directory.createGroup({ displayName: "Contractors" });
    graph.directory.addMember(graph.vpnGroupId, nested.id);
    graph.directory.upsertUser({ upn: "carol@contoso.com" });
    graph.directory.addMember(nested.id, "carol@contoso.com");
  });

  afterAll(async () => {
    await graph.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    waits = [];
    graph.faults.clear();
    graph.stats.reset();
  });

  it("reads a user's id and accountEnabled, and undefined for a user the directory does not have", async () => {
    const alice = await client().getUser("alice@contoso.com");
    expect(alice).toEqual({
      id: graph.directory.user("alice@contoso.com")?.id,
      userPrincipalName: "alice@contoso.com",
      accountEnabled: true,
    });
    expect(await client().getUser("dave@contoso.com")).toMatchObject({ accountEnabled: false });
    expect(await client().getUser("nobody@contoso.com")).toBeUndefined();
  });

  it("finds direct and nested members of the VPN group, and no one else", async () => {
    const idOf = (upn: string) => graph.directory.user(upn)?.id ?? "";
    expect(await client().checkMemberGroups(idOf("alice@contoso.com"), [graph.vpnGroupId])).toEqual([graph.vpnGroupId]);
    expect(await client().checkMemberGroups(idOf("carol@contoso.com"), [graph.vpnGroupId])).toEqual([graph.vpnGroupId]);
    expect(await client().checkMemberGroups(idOf("dave@contoso.com"), [graph.vpnGroupId])).toEqual([]);
  });

  it("rides out 429s, waiting what Retry-After says", async () => {
    graph.faults.add({ operation: "users.get", status: 429, code: "TooManyRequests", retryAfterSeconds: 3, count: 2 });
    expect(await client().getUser("alice@contoso.com")).toMatchObject({ accountEnabled: true });
    expect(waits).toEqual([3000, 3000]);
    expect(graph.stats.operation("users.get")).toMatchObject({ count: 3, faulted: 2, handled: 1 });
  });

  it("rides out 503s without Retry-After with an exponential wait", async () => {
    graph.faults.add({ operation: "users.checkMemberGroups", status: 503, count: 3 });
    const id = graph.directory.user("alice@contoso.com")?.id ?? "";
    expect(await client().checkMemberGroups(id, [graph.vpnGroupId])).toEqual([graph.vpnGroupId]);
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it("gives up with a GraphError once the next wait would pass the bound", async () => {
    graph.faults.add({ operation: "users.get", status: 429, retryAfterSeconds: 4 });
    const call = client({ GRAPH_THROTTLE_MAX_WAIT_MS: 10_000 }).getUser("alice@contoso.com");
    await expect(call).rejects.toEqual(expect.any(GraphError));
    await expect(call).rejects.toMatchObject({ status: 429, code: "TooManyRequests" });
    expect(waits).toEqual([4000, 4000]);
  });

  it("throws, never answers 'no such user', when Graph refuses the call or the 404 is not about the user", async () => {
    graph.faults.add({ operation: "users.get", status: 403, code: "Authorization_RequestDenied", count: 1 });
    await expect(client().getUser("alice@contoso.com")).rejects.toMatchObject({
      status: 403,
      code: "Authorization_RequestDenied",
    });
    graph.faults.add({ operation: "users.get", status: 404, code: "UnknownError", count: 1 });
    await expect(client().getUser("alice@contoso.com")).rejects.toEqual(expect.any(GraphError));
    expect(waits).toEqual([]);
  });
});
