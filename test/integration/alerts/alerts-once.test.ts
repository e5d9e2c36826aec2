// Alerts raised once, against Azurite and a local HTTPS webhook: one record, one log line, one audit entry and one
// webhook call per key whatever the number of calls; a failed delivery is retried without raising the alert twice;
// the Teams and Slack payloads; the list newest first with paging; a capacity line crossed again alerts again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TableClient } from "@azure/data-tables";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import { AlertTable } from "../../../src/clients/alert-table";
import { raiseAlertOnce } from "../../../src/clients/alert-raise";
import type { AlertDeps } from "../../../src/clients/alert-raise";
import type { AlertWebhookConfig } from "../../../src/clients/alerts";
import type { AuditEntry } from "../../../src/domain/ledger";
import { ALERT_LOG_MARKER } from "../../../src/domain/alert-payload";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";
import { startWebhookReceiver } from "../../support/webhook-receiver";
import type { WebhookReceiver } from "../../support/webhook-receiver";

let receiver: WebhookReceiver;
let caFile: string;
let dir: string;

beforeAll(async () => {
  const ca = await createEmulatorCa();
  dir = mkdtempSync(join(tmpdir(), "p2s-alerts-"));
  caFile = join(dir, "ca.pem");
  await ca.writeCertPem(caFile);
  receiver = await startWebhookReceiver(ca.serverTlsOptions());
});

afterAll(async () => {
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  receiver.received.length = 0;
  receiver.answerWith(200);
});

function harness(format: "generic" | "teams" | "slack") {
  const table = new AlertTable(
    TableClient.fromConnectionString(azuriteConnectionString(), uniqueName("alerts"), {
      allowInsecureConnection: true,
    }),
  );
  const audit: AuditEntry[] = [];
  const lines: { level: string; line: string }[] = [];
  const config: AlertWebhookConfig = {
    ALERT_WEBHOOK_URL: receiver.url,
    ALERT_WEBHOOK_FORMAT: format,
    P2S_TRUSTED_CA_FILE: caFile,
  };
  const deps: AlertDeps = {
    config,
    alerts: table,
    appendAudit: (entry) => {
      // The ledger's audit is idempotent by id: model it.
      if (!audit.some((e) => e.id === entry.id)) audit.push(entry);
      return Promise.resolve();
    },
  };
  const log = {
    warn: (line: string) => lines.push({ level: "warn", line }),
    error: (line: string) => lines.push({ level: "error", line }),
  };
  return { table, audit, lines, deps, log };
}

const rootAlert = {
  key: "expiry:gateway-root:/subscriptions/x/vgw/HandRoot:ABC:30",
  severity: "warning" as const,
  title: "Root HandRoot on gateway vgw expires within 30 days",
  detail: "root HandRoot on gateway vgw expires on 2026-12-26",
  subject: "/subscriptions/x/vgw/HandRoot",
  kind: "expiry",
  details: { threshold: "30", daysLeft: 20 },
};

describe("raiseAlertOnce", () => {
  it("records, logs, audits and posts an alert once per key, however many times it is raised", async () => {
    const h = harness("generic");
    const now = new Date("2026-12-06T06:00:00Z");
    expect(await raiseAlertOnce(h.deps, rootAlert, now, h.log)).toBe("sent");
    expect(await raiseAlertOnce(h.deps, rootAlert, new Date("2026-12-07T06:00:00Z"), h.log)).toBe("duplicate");
    expect(await raiseAlertOnce(h.deps, rootAlert, now, h.log)).toBe("duplicate");
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.headers["x-p2s-alert-key"]).toBe(encodeURIComponent(rootAlert.key));
    expect(receiver.received[0]?.body).toMatchObject({
      source: "p2s-lifecycle",
      key: rootAlert.key,
      title: rootAlert.title,
    });
    expect(h.lines).toHaveLength(1);
    expect(h.lines[0]?.level).toBe("warn");
    const line = h.lines[0]?.line ?? "";
    expect(line.startsWith(`ALERT warning: ${rootAlert.title} ${ALERT_LOG_MARKER}`)).toBe(true);
    const logged = JSON.parse(line.slice(line.indexOf(ALERT_LOG_MARKER) + ALERT_LOG_MARKER.length)) as Record<
      string,
      unknown
    >;
    expect(logged).toMatchObject({ event: "p2s.alert", alertKey: rootAlert.key, severity: "warning", kind: "expiry" });
    expect(h.audit).toHaveLength(1);
    expect(h.audit[0]).toMatchObject({ id: `alert:${rootAlert.key}`, action: "alert.raised", actor: "system:alerts" });
    const recorded = await h.table.get(rootAlert.key);
    expect(recorded).toMatchObject({ delivery: "sent", raisedAt: now.toISOString() });
  });

  it("leaves an alert pending when the webhook fails, and delivers it on the retry without raising it twice", async () => {
    const h = harness("generic");
    const now = new Date("2026-12-06T06:00:00Z");
    receiver.answerWith(503);
    await expect(raiseAlertOnce(h.deps, rootAlert, now, h.log)).rejects.toThrow("alert webhook answered 503");
    expect((await h.table.get(rootAlert.key))?.delivery).toBe("pending");
    receiver.answerWith(200);
    expect(await raiseAlertOnce(h.deps, rootAlert, now, h.log)).toBe("sent");
    expect(await raiseAlertOnce(h.deps, rootAlert, now, h.log)).toBe("duplicate");
    expect(receiver.received).toHaveLength(1);
    expect(h.lines).toHaveLength(1);
  });

  it("posts once when two runs raise the same alert at the same moment (a duplicated activity)", async () => {
    const h = harness("generic");
    const now = new Date("2026-12-06T06:00:00Z");
    const outcomes = await Promise.allSettled([
      raiseAlertOnce(h.deps, rootAlert, now, h.log),
      raiseAlertOnce(h.deps, rootAlert, now, h.log),
      raiseAlertOnce(h.deps, rootAlert, now, h.log),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled" && o.value === "sent")).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
    expect(await raiseAlertOnce(h.deps, rootAlert, now, h.log)).toBe("duplicate");
    expect(receiver.received).toHaveLength(1);
  });

  it("posts a Teams message with an Adaptive Card, and Slack text and blocks", async () => {
    const teams = harness("teams");
    await raiseAlertOnce(teams.deps, { ...rootAlert, severity: "critical" }, new Date(), teams.log);
    const card = receiver.received[0]?.body as {
      type: string;
      attachments: {
        contentType: string;
        content: { type: string; version: string; body: { type: string; text?: string }[] };
      }[];
    };
    expect(card.type).toBe("message");
    expect(card.attachments[0]?.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.attachments[0]?.content.type).toBe("AdaptiveCard");
    expect(card.attachments[0]?.content.body[0]?.text).toContain(rootAlert.title);
    expect(card.attachments[0]?.content.body.map((b) => b.type)).toEqual(["TextBlock", "TextBlock", "FactSet"]);
    expect(teams.lines[0]?.level).toBe("error");

    const slack = harness("slack");
    await raiseAlertOnce(slack.deps, { ...rootAlert, detail: "a <b> & c" }, new Date(), slack.log);
    const message = receiver.received[1]?.body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(message.text).toContain(rootAlert.title);
    expect(message.blocks.map((b) => b.type)).toEqual(["header", "section", "context"]);
    expect(message.blocks[1]?.text?.text).toBe("a &lt;b&gt; &amp; c");
  });

  it("raises an alert without a key at each call, as before keys existed (callers that need once pass one)", async () => {
    const h = harness("generic");
    const { key: _key, ...keyless } = rootAlert;
    const now = new Date("2026-12-06T06:00:00Z");
    expect(await raiseAlertOnce(h.deps, keyless, now, h.log)).toBe("sent");
    expect(await raiseAlertOnce(h.deps, keyless, now, h.log)).toBe("sent");
    expect(receiver.received).toHaveLength(2);
    expect(h.lines).toHaveLength(2);
  });
});

describe("AlertTable", () => {
  it("lists the newest first, a page at a time", async () => {
    const h = harness("generic");
    for (let i = 0; i < 5; i++) {
      await raiseAlertOnce(h.deps, { ...rootAlert, key: `k${i}` }, new Date(Date.UTC(2026, 11, 1 + i)), h.log);
    }
    const first = await h.table.listRecent(2);
    expect(first.alerts.map((a) => a.key)).toEqual(["k4", "k3"]);
    expect(first.continuationToken).toBeDefined();
    const second = await h.table.listRecent(2, first.continuationToken);
    expect(second.alerts.map((a) => a.key)).toEqual(["k2", "k1"]);
    const third = await h.table.listRecent(2, second.continuationToken);
    expect(third.alerts.map((a) => a.key)).toEqual(["k0"]);
    expect(third.continuationToken).toBeUndefined();
  });

  it("counts a capacity line's crossings: the same while above, a new one after going below and back", async () => {
    const { table } = harness("generic");
    const gw = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/vgw";
    expect(await table.trackCapacity(gw, true)).toBe(1);
    expect(await table.trackCapacity(gw, true)).toBe(1);
    expect(await table.trackCapacity(gw, false)).toBe(1);
    expect(await table.trackCapacity(gw, false)).toBe(1);
    expect(await table.trackCapacity(gw, true)).toBe(2);
  });
});
