// Entra ID events end to end through the sandbox: the Graph emulator sends real change notifications to the app's
// webhook (and CloudEvents through the host's Event Grid route), the app reads Graph, starts lifecycle requests, and
// the gateway and its sessions follow: a member added is issued; removed, disabled or deleted is revoked with the
// session ended; another group's change is ignored (audited); a wrong clientState is refused (audited); a change made
// while notifications are off is caught by entraReconcile; the subscriptions are renewed before they expire on
// Graph's (virtual) clock; Graph's 429 and 503 are ridden out with no event lost.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { readFile } from "node:fs/promises";
import { JumpClock } from "../../bench/chaos/jump-clock";
import { EventType } from "../../dev/durable/protocol";
import { EntraState } from "../../src/clients/entra-state";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { httpsRequest } from "../support/emulator-clients";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { SteerableClock } from "../support/steerable-clock";
import { waitFor } from "../support/wait";

const graphClock = new SteerableClock();
// The host's wall clock, which the throttling test moves to the end of the orchestration's retry wait.
const clockErrors: unknown[] = [];
const hostClock = new JumpClock((error) => clockErrors.push(error));
let sandbox: TestSandbox;
let ca: string;
let gatewayId: string;
const DAY = 86_400_000;

beforeAll(async () => {
  sandbox = await startTestSandbox({
    vpnGroupGate: true,
    entraEvents: true,
    graphClock,
    clock: hostClock,
    // A small bound, so a long throttle is handed to the orchestration's retry instead of waited out in one call.
    settings: { GRAPH_THROTTLE_MAX_WAIT_MS: "1500" },
  });
  ca = await readFile(sandbox.endpoints.caFile, "utf8");
  gatewayId = sandbox.endpoints.gatewayIds[0] ?? "";
});

afterAll(async () => {
  await sandbox.stop();
  expect(clockErrors).toEqual([]);
});

const ledger = (): Ledger => Ledger.fromConfig(getConfig());
const directory = () => sandbox.graph.directory;
const control = (path: string, method: string, body?: unknown) =>
  httpsRequest(`${sandbox.endpoints.graphUrl}${path}`, { ca, method, ...(body === undefined ? {} : { body }) });

async function liveThumbprint(upn: string): Promise<string> {
  return waitFor(
    async () => (await ledger().listUserCertificates(upn)).find((r) => r.status === "active")?.thumbprint,
    { timeoutMs: 60_000, intervalMs: 100, message: `an active certificate for ${upn}` },
  );
}

function revokedOnGateway(): string[] {
  const gateway = sandbox.arm.controls.gateway(gatewayId) as {
    properties: { vpnClientConfiguration: { vpnClientRevokedCertificates?: { properties: { thumbprint: string } }[] } };
  };
  return (gateway.properties.vpnClientConfiguration.vpnClientRevokedCertificates ?? []).map((r) =>
    r.properties.thumbprint.toUpperCase(),
  );
}

/** Issued, connected, then `act`: the certificate is revoked on the gateway and the session ended. */
async function expectRevokedAfter(upn: string, act: () => Promise<void> | void): Promise<void> {
  const thumbprint = await liveThumbprint(upn);
  const session = sandbox.arm.controls.connectSession(gatewayId, { vpnUserName: upn });
  await act();
  await waitFor(() => revokedOnGateway().includes(thumbprint.toUpperCase()), {
    timeoutMs: 60_000,
    intervalMs: 100,
    message: `${upn}'s certificate to be revoked on the gateway`,
  });
  await waitFor(() => !sandbox.arm.controls.sessions(gatewayId).some((s) => s.vpnConnectionId === session), {
    timeoutMs: 60_000,
    message: `${upn}'s session to be ended`,
  });
}

async function adminInvoke(name: string): Promise<void> {
  const response = await fetch(`${sandbox.endpoints.host}/admin/functions/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-functions-key": sandbox.endpoints.masterKey },
    body: JSON.stringify({ input: "" }),
  });
  expect(response.status).toBe(202);
}

/**
 * Until stopped, moves the host clock to the end of each durable retry wait (a timer of at least `minMs`) that an
 * entraChange orchestration starts, so a test of what happens after the retry does not wait it out. Answers how many
 * waits it ended.
 */
function endRetryWaits(minMs: number): { stop(): Promise<number> } {
  const since = hostClock.now();
  const ended = new Set<string>();
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      for (const id of sandbox.durable.instanceIds()) {
        const instance = sandbox.durable.inspect(id);
        if (instance?.name !== "entraChange" || instance.runtimeStatus !== "Running") continue;
        for (const event of instance.history) {
          const e = event as { EventType: number; EventId: number; Timestamp: string; FireAt?: string };
          if (e.EventType !== EventType.TimerCreated || e.FireAt === undefined) continue;
          const at = Date.parse(e.Timestamp);
          const fireAt = Date.parse(e.FireAt);
          const key = `${id} ${String(e.EventId)}`;
          if (at < since || fireAt - at < minMs || ended.has(key)) continue;
          ended.add(key);
          hostClock.jump(Math.max(0, fireAt - hostClock.now()));
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    stop: async () => {
      state.running = false;
      await loop;
      return ended.size;
    },
  };
}

function webhook(body: unknown, query = ""): Promise<Response> {
  return fetch(`${sandbox.endpoints.entraNotificationUrl}${query}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("Entra ID events", () => {
  it("keeps the Graph subscriptions (groups, users) made at start-up through the validated webhook", async () => {
    const subscriptions = await waitFor(
      () => (sandbox.graph.subscriptions.list().length === 2 ? sandbox.graph.subscriptions.list() : undefined),
      { message: "the two subscriptions", timeoutMs: 30_000 },
    );
    expect(subscriptions.map((s) => s.resource).sort()).toEqual(["groups", "users"]);
    for (const s of subscriptions) {
      expect(s.notificationUrl).toBe(sandbox.endpoints.entraNotificationUrl);
      expect(s.lifecycleNotificationUrl).toBe(`${sandbox.endpoints.entraNotificationUrl}/lifecycle`);
      expect(s.clientState).toBe(sandbox.endpoints.entraClientState);
    }
    const validations = sandbox.graph.subscriptions.deliveries().filter((d) => d.kind === "validation");
    expect(validations.length).toBeGreaterThanOrEqual(4);
    expect(validations.every((d) => d.status === 200)).toBe(true);
  });

  it("echoes the decoded validation token as text/plain", async () => {
    const token = "Validation: Testing client application reachability for subscription Request-Id: 1&2=3";
    const response = await webhook(undefined, `?validationToken=${encodeURIComponent(token)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toBe(token);
  });

  it("refuses a notification with a wrong clientState, and audits it", async () => {
    const response = await webhook({
      value: [
        {
          subscriptionId: "forged",
          changeType: "updated",
          resource: `Groups/${sandbox.endpoints.vpnGroupId}`,
          resourceData: { id: sandbox.endpoints.vpnGroupId },
          clientState: "not-the-secret",
        },
      ],
    });
    expect(response.status).toBe(403);
    const audit = await ledger().listAudit("entra-notifications");
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: "entra.notification.refused", reason: "clientState does not match" }),
      ]),
    );
  });

  it("issues to a member added to the VPN group (and onboards the group's members on the first full round)", async () => {
    await control("/_emulator/users", "POST", { upn: "erin@contoso.com", member: true });
    await liveThumbprint("erin@contoso.com");
    await liveThumbprint("alice@contoso.com");
    await liveThumbprint("carol@contoso.com");
    const notifications = sandbox.graph.subscriptions.deliveries().filter((d) => d.kind === "notification");
    expect(notifications.length).toBeGreaterThan(0);
    // Answered 202 (the emulator counts an answer later than Graph's 3 s as a failed delivery).
    expect(notifications.every((d) => d.status === 202)).toBe(true);
    // The disabled member gets nothing.
    expect(await ledger().listUserCertificates("dave@contoso.com")).toEqual([]);
  });

  it("revokes a member removed from the group, on the gateway, with the session ended", async () => {
    await expectRevokedAfter("erin@contoso.com", async () => {
      expect(
        (await control(`/_emulator/groups/${sandbox.endpoints.vpnGroupId}/members/erin@contoso.com`, "DELETE")).status,
      ).toBe(204);
    });
  });

  it("revokes a disabled account", async () => {
    await expectRevokedAfter("alice@contoso.com", async () => {
      await control("/_emulator/users", "POST", { upn: "alice@contoso.com", accountEnabled: false });
    });
  });

  it("onboards again a re-enabled user who is still in the group", async () => {
    const revoked = (await ledger().listUserCertificates("alice@contoso.com")).map((r) => r.thumbprint);
    await control("/_emulator/users", "POST", { upn: "alice@contoso.com", accountEnabled: true });
    const again = await liveThumbprint("alice@contoso.com");
    expect(revoked).not.toContain(again);
  });

  it("revokes a deleted user", async () => {
    await expectRevokedAfter("bob@contoso.com", async () => {
      expect((await control("/_emulator/users/bob@contoso.com", "DELETE")).status).toBe(204);
    });
  });

  it("ignores another group's change, with the reason audited", async () => {
    const created = await control("/_emulator/groups", "POST", {
      displayName: "Sales",
      members: ["mallory@contoso.com"],
    });
    const groupId = (created.json as { id: string }).id;
    const audit = await waitFor(
      async () => {
        const entries = await ledger().listAudit(`entra-group-${groupId}`);
        return entries.length > 0 ? entries : undefined;
      },
      { message: "the ignored group change to be audited", timeoutMs: 30_000 },
    );
    expect(audit[0]).toMatchObject({
      action: "entra.ignored",
      reason: expect.stringMatching(/not the VPN group/) as string,
    });
    expect(await ledger().listUserCertificates("mallory@contoso.com")).toEqual([]);
  });

  it("delivers Graph's CloudEvents through Event Grid to entraEvents, and refuses a forged one", async () => {
    // A users subscription through a partner topic instead of the webhook one (as an operator would set it up).
    const token = { token: "sandbox" };
    const listed = await httpsRequest(`${sandbox.endpoints.graphUrl}/v1.0/subscriptions`, { ca, ...token });
    const webhookUsers = (listed.json as { value: { id: string; resource: string }[] }).value.find(
      (s) => s.resource === "users",
    );
    await httpsRequest(`${sandbox.endpoints.graphUrl}/v1.0/subscriptions/${webhookUsers?.id ?? ""}`, {
      ca,
      method: "DELETE",
      ...token,
    });
    const eventGridUrl =
      "EventGrid:?azuresubscriptionid=00000000-0000-0000-0000-00000000c0de&resourcegroup=rg-p2s-sandbox&partnertopic=entra&location=westeurope";
    const created = await httpsRequest(`${sandbox.endpoints.graphUrl}/v1.0/subscriptions`, {
      ca,
      method: "POST",
      ...token,
      body: {
        changeType: "updated,deleted",
        notificationUrl: eventGridUrl,
        lifecycleNotificationUrl: eventGridUrl,
        resource: "users",
        expirationDateTime: new Date(graphClock.now() + DAY).toISOString(),
        clientState: sandbox.endpoints.entraClientState,
      },
    });
    expect(created.status).toBe(201);
    const eventsBefore = sandbox.graph.subscriptions.deliveries().filter((d) => d.kind === "cloudEvent").length;
    await expectRevokedAfter("ada@contoso.com", async () => {
      await control("/_emulator/users", "POST", { upn: "ada@contoso.com", accountEnabled: false });
    });
    const events = sandbox.graph.subscriptions
      .deliveries()
      .filter((d) => d.kind === "cloudEvent")
      .slice(eventsBefore);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((d) => d.status === 202)).toBe(true);

    const forged = await fetch(
      `${sandbox.endpoints.host}/runtime/webhooks/eventgrid?functionName=entraEvents&code=${sandbox.endpoints.eventGridKey}`,
      {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json; charset=utf-8", "aeg-event-type": "Notification" },
        body: JSON.stringify({
          specversion: "1.0",
          id: "forged-1",
          source: "/tenants/x/applications/y",
          type: "Microsoft.Graph.UserDeleted",
          data: {
            changeType: "deleted",
            subscriptionId: "s",
            resource: "Users/6a1f0c1e-2b3d-4c5e-8f90-0123456789ab",
            clientState: "wrong",
          },
        }),
      },
    );
    expect(forged.status).toBe(202);
    const audit = await ledger().listAudit("entra-notifications");
    expect(audit.some((a) => a.action === "entra.event.refused" && a.reason === "clientState does not match")).toBe(
      true,
    );
  });

  it("catches with entraReconcile a change made while notifications were off", async () => {
    await liveThumbprint("carol@contoso.com");
    await control("/_emulator/notifications", "POST", { enabled: false });
    const sent = sandbox.graph.subscriptions.deliveries().length;
    // carol leaves through her nested group; frank joins.
    const contractors =
      directory()
        .groups()
        .find((g) => g.displayName === "VPN Contractors")?.id ?? "";
    const carolSession = sandbox.arm.controls.connectSession(gatewayId, { vpnUserName: "carol@contoso.com" });
    const carolThumbprint = await liveThumbprint("carol@contoso.com");
    directory().removeMember(contractors, "carol@contoso.com");
    await control("/_emulator/users", "POST", { upn: "frank@contoso.com", member: true });
    await sandbox.graph.subscriptions.settled();
    expect(sandbox.graph.subscriptions.deliveries().length).toBe(sent);

    await adminInvoke("entraReconcile");
    await liveThumbprint("frank@contoso.com");
    await waitFor(() => revokedOnGateway().includes(carolThumbprint.toUpperCase()), {
      timeoutMs: 60_000,
      message: "carol's certificate revoked by the reconcile",
    });
    await waitFor(() => !sandbox.arm.controls.sessions(gatewayId).some((s) => s.vpnConnectionId === carolSession), {
      timeoutMs: 60_000,
      message: "carol's session ended",
    });
    await control("/_emulator/notifications", "POST", { enabled: true });
  });

  it("rides out Graph's 429 (Retry-After) and 503, past the client's bound too, with no event lost", async () => {
    await control("/_emulator/users", "POST", { upn: "gina@contoso.com", member: true });
    await liveThumbprint("gina@contoso.com");
    // More throttling than the client waits out in one call: the activity fails and the orchestration retries it.
    await control("/_emulator/faults", "POST", { operation: "users.get", status: 429, retryAfterSeconds: 1, count: 3 });
    await control("/_emulator/faults", "POST", { operation: "users.checkMemberGroups", status: 503, count: 2 });
    await control("/_emulator/faults", "POST", {
      operation: "groups.delta",
      status: 503,
      retryAfterSeconds: 1,
      count: 1,
    });
    const retryWaits = endRetryWaits(4_000);
    try {
      await expectRevokedAfter("gina@contoso.com", async () => {
        await control(`/_emulator/groups/${sandbox.endpoints.vpnGroupId}/members/gina@contoso.com`, "DELETE");
      });
    } finally {
      await retryWaits.stop();
    }
    expect(sandbox.graph.stats.operation("users.get").count).toBeGreaterThan(3);
    // The throttling outlasted the client's bound: the work failed once and the orchestration ran it again.
    expect(sandbox.logs.some((line) => line.startsWith("Executed 'Functions.applyEntraWork' (Failed"))).toBe(true);
  });

  it("renews the subscriptions before they expire on Graph's clock, and answers reauthorizationRequired", async () => {
    const before = new Map(sandbox.graph.subscriptions.list().map((s) => [s.id, s.expirationDateTime]));
    const webhookSubscriptions = sandbox.graph.subscriptions
      .list()
      .filter((s) => s.notificationUrl === sandbox.endpoints.entraNotificationUrl);
    // 27 days on: the 29-day subscriptions are inside the 72-hour renewal window.
    graphClock.jumpTo(graphClock.now() + 27 * DAY);
    await adminInvoke("entraSubscriptions");
    await waitFor(
      () =>
        webhookSubscriptions.every((s) => {
          const now = sandbox.graph.subscriptions.get(s.id)?.expirationDateTime;
          return now !== undefined && Date.parse(now) > Date.parse(before.get(s.id) ?? "");
        }) &&
        sandbox.graph.subscriptions.list().filter((s) => s.notificationUrl === sandbox.endpoints.entraNotificationUrl)
          .length === 2,
      { message: "the webhook subscriptions renewed (and the users one made again)", timeoutMs: 30_000 },
    );
    // Past the old expiry, notifications still flow (and the expired delta links mean a full resync).
    graphClock.jumpTo(graphClock.now() + 3 * DAY);
    expect(
      sandbox.graph.subscriptions.list().filter((s) => s.notificationUrl === sandbox.endpoints.entraNotificationUrl),
    ).toHaveLength(2);
    await control("/_emulator/users", "POST", { upn: "hana@contoso.com", member: true });
    await liveThumbprint("hana@contoso.com");
    // The stored delta link had expired (7 days): Graph answered 410 and the app started a full round.
    expect(sandbox.graph.stats.operation("groups.delta").byStatus["410"]).toBeGreaterThan(0);

    const groups = sandbox.graph.subscriptions.list().find((s) => s.resource === "groups");
    const sent = await control(`/_emulator/subscriptions/${groups?.id ?? ""}/lifecycle`, "POST", {
      lifecycleEvent: "reauthorizationRequired",
    });
    expect((sent.json as { delivery: { status: number } }).delivery.status).toBe(202);
    await waitFor(() => sandbox.graph.subscriptions.get(groups?.id ?? "")?.needsReauthorization === false, {
      message: "the subscription reauthorized",
      timeoutMs: 30_000,
    });
    // What the app remembers: every user it acted on, by object id.
    const entitled = await EntraState.fromConfig(getConfig()).listEntitled();
    expect(entitled.map((e) => e.upn)).toEqual(expect.arrayContaining(["hana@contoso.com", "frank@contoso.com"]));
  });
});
