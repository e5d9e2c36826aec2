// The Graph emulator's event features as a plain client sees them: subscriptions made only after the endpoint echoes
// the validation token, Graph's expiry limit for directory resources, basic change notifications (clientState, no
// resource data), the notifications switch, expiry and reauthorization, and delta queries with paging, tokens,
// members@delta / @removed and 410 on an expired token.
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createEmulatorCa, createVirtualClock } from "../../../dev/emulators/framework";
import type { EmulatorCa, VirtualClock } from "../../../dev/emulators/framework";
import { startGraphEmulator } from "../../../dev/emulators/graph";
import type { GraphEmulator } from "../../../dev/emulators/graph";
import { httpsRequest } from "../../support/emulator-clients";
import type { HttpsRequestOptions, HttpsResult } from "../../support/emulator-clients";
import { waitFor } from "../../support/wait";

interface Received {
  readonly url: string;
  readonly body: string;
}

describe("Graph emulator events", () => {
  let ca: EmulatorCa;
  let graph: GraphEmulator;
  let clock: VirtualClock;
  let server: Server;
  let endpoint: string;
  let received: Received[];
  /** How the endpoint answers a validation request: echo (as it should) or something else. */
  let validation: (token: string) => { status: number; type: string; body: string };

  const call = (path: string, options: HttpsRequestOptions = {}): Promise<HttpsResult> =>
    httpsRequest(path.startsWith("https://") ? path : `${graph.url}${path}`, {
      ca: ca.certPem,
      token: "t",
      ...options,
    });
  const control = (path: string, options: HttpsRequestOptions = {}): Promise<HttpsResult> =>
    httpsRequest(`${graph.url}${path}`, { ca: ca.certPem, ...options });
  const inDays = (days: number): string => new Date(clock.now() + days * 86_400_000).toISOString();
  const subscribe = (body: Record<string, unknown> = {}): Promise<HttpsResult> =>
    call("/v1.0/subscriptions", {
      method: "POST",
      body: {
        changeType: "updated,deleted",
        notificationUrl: `${endpoint}/notify`,
        lifecycleNotificationUrl: `${endpoint}/lifecycle`,
        resource: "groups",
        expirationDateTime: inDays(2),
        clientState: "s3cret-state",
        ...body,
      },
    });

  beforeAll(async () => {
    ca = await createEmulatorCa();
    clock = createVirtualClock(Date.UTC(2030, 0, 1));
    graph = await startGraphEmulator({ ca, clock, deltaPageSize: 2, deliveryAttempts: 1 });
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const token = url.searchParams.get("validationToken");
      if (token !== null) {
        const answer = validation(token);
        response.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
        return;
      }
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({ url: url.pathname, body: Buffer.concat(chunks).toString("utf8") });
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await graph.stop();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  });

  beforeEach(async () => {
    received = [];
    validation = (token) => ({ status: 200, type: "text/plain", body: token });
    for (const s of graph.subscriptions.list()) graph.subscriptions.delete(s.id);
    graph.subscriptions.setNotificationsEnabled(true);
    await graph.subscriptions.settled();
  });

  it("creates a subscription once both endpoints echo the decoded validation token", async () => {
    const response = await subscribe();
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      resource: "groups",
      clientState: "s3cret-state",
      includeResourceData: false,
    });
    const validations = graph.subscriptions.deliveries().filter((d) => d.kind === "validation");
    expect(validations.slice(-2).map((d) => new URL(d.url).pathname)).toEqual(["/notify", "/lifecycle"]);
  });

  it("refuses a subscription whose endpoint does not echo the token, or answers it as JSON", async () => {
    validation = () => ({ status: 200, type: "text/plain", body: "something else" });
    const wrong = await subscribe();
    expect(wrong.status).toBe(400);
    expect(wrong.json).toMatchObject({ error: { code: "ValidationError" } });
    validation = (token) => ({ status: 200, type: "application/json", body: token });
    expect((await subscribe()).status).toBe(400);
    expect(graph.subscriptions.list()).toEqual([]);
  });

  it("refuses an expiry past 41,760 minutes, a change type users and groups lack, and a plain-http remote URL", async () => {
    const tooLong = await subscribe({ expirationDateTime: new Date(clock.now() + 41_761 * 60_000).toISOString() });
    expect(tooLong.status).toBe(400);
    expect(
      (await subscribe({ expirationDateTime: new Date(clock.now() + 41_760 * 60_000).toISOString() })).status,
    ).toBe(201);
    expect((await subscribe({ changeType: "created" })).status).toBe(400);
    expect((await subscribe({ notificationUrl: "http://example.com/hook" })).status).toBe(400);
  });

  it("notifies a membership change as a basic notification with the clientState, and nothing while switched off", async () => {
    expect((await subscribe()).status).toBe(201);
    graph.directory.upsertUser({ upn: "nina@contoso.com" });
    graph.directory.addMember(graph.vpnGroupId, "nina@contoso.com");
    await waitFor(() => received.length >= 1, { timeoutMs: 5000, message: "no notification arrived" });
    const payload = JSON.parse(received[0]?.body ?? "{}") as { value: Record<string, unknown>[] };
    expect(payload.value).toEqual([
      expect.objectContaining({
        changeType: "updated",
        clientState: "s3cret-state",
        resource: `Groups/${graph.vpnGroupId}`,
        resourceData: expect.objectContaining({
          id: graph.vpnGroupId,
          "@odata.type": "#Microsoft.Graph.Group",
        }) as unknown,
      }),
    ]);
    // Basic notifications carry no resource data: not the member that changed.
    expect(JSON.stringify(payload)).not.toContain("members@delta");

    await control("/_emulator/notifications", { method: "POST", body: { enabled: false } });
    graph.directory.removeMember(graph.vpnGroupId, "nina@contoso.com");
    await graph.subscriptions.settled();
    expect(received).toHaveLength(1);
  });

  it("batches the changes of one turn into one POST with several items", async () => {
    expect((await subscribe()).status).toBe(201);
    graph.directory.upsertUser({ upn: "b1@contoso.com" });
    graph.directory.upsertUser({ upn: "b2@contoso.com" });
    graph.directory.addMember(graph.vpnGroupId, "b1@contoso.com");
    graph.directory.addMember(graph.vpnGroupId, "b2@contoso.com");
    await graph.subscriptions.settled();
    expect(received).toHaveLength(1);
    expect((JSON.parse(received[0]?.body ?? "{}") as { value: unknown[] }).value).toHaveLength(2);
  });

  it("stops notifying once a subscription expires, and after reauthorizationRequired until reauthorized", async () => {
    const created = await subscribe();
    const id = (created.json as { id: string }).id;
    expect(
      (
        await control(`/_emulator/subscriptions/${id}/lifecycle`, {
          method: "POST",
          body: { lifecycleEvent: "reauthorizationRequired" },
        })
      ).status,
    ).toBe(200);
    expect(received.map((r) => r.url)).toEqual(["/lifecycle"]);
    expect(JSON.parse(received[0]?.body ?? "{}")).toEqual({
      value: [
        expect.objectContaining({
          subscriptionId: id,
          lifecycleEvent: "reauthorizationRequired",
          clientState: "s3cret-state",
        }),
      ],
    });
    graph.directory.createGroup({ displayName: "Quiet" });
    await graph.subscriptions.settled();
    expect(received).toHaveLength(1);
    expect((await call(`/v1.0/subscriptions/${id}/reauthorize`, { method: "POST" })).status).toBe(204);
    graph.directory.createGroup({ displayName: "Loud" });
    await waitFor(() => received.length === 2, { timeoutMs: 5000, message: "no notification after reauthorize" });

    clock.advance(2 * 86_400_000 + 1);
    expect((await call(`/v1.0/subscriptions/${id}`)).status).toBe(404);
    graph.directory.createGroup({ displayName: "Unheard" });
    await graph.subscriptions.settled();
    expect(received).toHaveLength(2);
  });

  it("renews with PATCH within the limit", async () => {
    const id = ((await subscribe()).json as { id: string }).id;
    const renewed = await call(`/v1.0/subscriptions/${id}`, {
      method: "PATCH",
      body: { expirationDateTime: inDays(20) },
    });
    expect(renewed.status).toBe(200);
    expect((renewed.json as { expirationDateTime: string }).expirationDateTime).toBe(inDays(20));
    expect(
      (await call(`/v1.0/subscriptions/${id}`, { method: "PATCH", body: { expirationDateTime: inDays(30) } })).status,
    ).toBe(400);
  });

  it("answers group member changes through delta: full round in pages, then members@delta with @removed, 410 once expired", async () => {
    const group = graph.directory.createGroup({ displayName: "Delta" });
    for (const upn of ["d1@contoso.com", "d2@contoso.com", "d3@contoso.com"]) {
      graph.directory.upsertUser({ upn });
      graph.directory.addMember(group.id, upn);
    }
    const first = await call(`/v1.0/groups/delta?$filter=id eq '${group.id}'&$select=members`);
    expect(first.status).toBe(200);
    const firstBody = first.json as Record<string, unknown>;
    const next = firstBody["@odata.nextLink"] as string;
    expect(next).toContain("$skiptoken=");
    const second = (await call(next)).json as Record<string, unknown>;
    const deltaLink = second["@odata.deltaLink"] as string;
    expect(deltaLink).toContain("$deltatoken=");
    const members = [...(firstBody.value as object[]), ...(second.value as object[])].flatMap(
      (g) => (g as { "members@delta"?: { id: string }[] })["members@delta"] ?? [],
    );
    expect(members).toHaveLength(3);

    const d1 = graph.directory.user("d1@contoso.com")?.id ?? "";
    graph.directory.removeMember(group.id, d1);
    graph.directory.upsertUser({ upn: "d4@contoso.com" });
    graph.directory.addMember(group.id, "d4@contoso.com");
    const changes = (await call(deltaLink)).json as { value: { "members@delta": Record<string, unknown>[] }[] };
    expect(changes.value[0]?.["members@delta"]).toEqual([
      { "@odata.type": "#microsoft.graph.user", id: d1, "@removed": { reason: "deleted" } },
      { "@odata.type": "#microsoft.graph.user", id: graph.directory.user("d4@contoso.com")?.id },
    ]);

    const latest = (await call("/v1.0/users/delta?$select=accountEnabled,userPrincipalName&$deltaToken=latest"))
      .json as Record<string, unknown>;
    expect(latest.value).toEqual([]);
    graph.directory.upsertUser({ upn: "d2@contoso.com", accountEnabled: false });
    graph.directory.deleteUser("d3@contoso.com");
    const users = (await call(latest["@odata.deltaLink"] as string)).json as { value: Record<string, unknown>[] };
    expect(users.value).toEqual([
      { id: graph.directory.user("d2@contoso.com")?.id, accountEnabled: false, userPrincipalName: "d2@contoso.com" },
      { id: expect.any(String) as string, "@removed": { reason: "changed" } },
    ]);

    clock.advance(7 * 86_400_000 + 1);
    const expired = await call(deltaLink);
    expect(expired.status).toBe(410);
    await control("/_emulator/delta/expire", { method: "POST" });
  });
});
