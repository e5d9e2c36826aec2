// The alert's wire and log forms (src/domain/alert-payload.ts): the key of an alert raised without one, the log line
// Application Insights queries parse, and the webhook body of each format.
import { createHash } from "node:crypto";
import { ALERT_LOG_MARKER, alertLogLine, defaultAlertKey, webhookBody } from "../../../src/domain/alert-payload";
import type { AlertMessage } from "../../../src/domain/alert-payload";

const ALERT: AlertMessage = {
  key: "expiry:root:2026-12",
  severity: "error",
  title: "Root expires soon",
  detail: "The root <P2S Root> expires in 20 days & nothing replaces it",
  subject: "CN=P2S Root",
  kind: "expiry",
  details: { days: 20, gateway: "gw-1", rotated: false },
  raisedAt: "2026-12-06T10:00:00.000Z",
};

const BARE: AlertMessage = {
  key: "k1",
  severity: "warning",
  title: "T",
  detail: "D",
  raisedAt: "2026-12-06T10:00:00.000Z",
};

describe("defaultAlertKey", () => {
  it("is the instant, a digest of severity, title, detail and subject, and the nonce", () => {
    const now = new Date("2026-12-06T10:00:00.000Z");
    const digest = createHash("sha256")
      .update(JSON.stringify(["error", "T", "D", "S"]))
      .digest("hex")
      .slice(0, 16);
    expect(defaultAlertKey({ severity: "error", title: "T", detail: "D", subject: "S" }, now, "n1")).toBe(
      `call:2026-12-06T10:00:00.000Z:${digest}:n1`,
    );
    const noSubject = createHash("sha256")
      .update(JSON.stringify(["error", "T", "D", ""]))
      .digest("hex")
      .slice(0, 16);
    expect(defaultAlertKey({ severity: "error", title: "T", detail: "D" }, now, "n1")).toBe(
      `call:2026-12-06T10:00:00.000Z:${noSubject}:n1`,
    );
  });
});

describe("alertLogLine", () => {
  it("heads the line with severity and title, then the marker and JSON with fixed field names", () => {
    const line = alertLogLine(ALERT);
    const head = `ALERT error: Root expires soon ${ALERT_LOG_MARKER}`;
    expect(ALERT_LOG_MARKER).toBe("P2S_ALERT ");
    expect(line.startsWith(head)).toBe(true);
    expect(JSON.parse(line.slice(head.length))).toEqual({
      event: "p2s.alert",
      alertKey: "expiry:root:2026-12",
      severity: "error",
      kind: "expiry",
      title: "Root expires soon",
      detail: ALERT.detail,
      subject: "CN=P2S Root",
      raisedAt: "2026-12-06T10:00:00.000Z",
      details: { days: 20, gateway: "gw-1", rotated: false },
    });
  });

  it("writes a general kind, an empty subject and no details when the alert has none", () => {
    const line = alertLogLine(BARE);
    expect(line).toBe(
      'ALERT warning: T P2S_ALERT {"event":"p2s.alert","alertKey":"k1","severity":"warning","kind":"general",' +
        '"title":"T","detail":"D","subject":"","raisedAt":"2026-12-06T10:00:00.000Z"}',
    );
  });
});

describe("webhookBody", () => {
  it("generic: the alert itself, with the source and its time", () => {
    expect(webhookBody(ALERT, "generic")).toEqual({ source: "p2s-lifecycle", ...ALERT, at: ALERT.raisedAt });
  });

  it("teams: one Adaptive Card, coloured by severity, with the facts", () => {
    const card = (alert: AlertMessage): unknown => ({
      type: "message",
      attachments: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          contentUrl: null,
          content: {
            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
            type: "AdaptiveCard",
            version: "1.4",
            body: [
              {
                type: "TextBlock",
                text: `p2s-lifecycle: ${alert.title}`,
                weight: "Bolder",
                size: "Medium",
                wrap: true,
                color: alert.severity === "warning" ? "Warning" : "Attention",
              },
              { type: "TextBlock", text: alert.detail, wrap: true },
              {
                type: "FactSet",
                facts: [
                  { title: "Severity", value: alert.severity },
                  ...(alert.subject === undefined ? [] : [{ title: "Subject", value: alert.subject }]),
                  { title: "Raised", value: alert.raisedAt },
                  { title: "Alert key", value: alert.key },
                ],
              },
            ],
          },
        },
      ],
    });
    expect(webhookBody(ALERT, "teams")).toEqual(card(ALERT));
    expect(webhookBody(BARE, "teams")).toEqual(card(BARE));
    const critical = { ...BARE, severity: "critical" } as const;
    expect(JSON.stringify(webhookBody(critical, "teams"))).toContain('"color":"Attention"');
  });

  it("slack: a plain fallback text, a header cut at 150 characters, and escaped mrkdwn", () => {
    expect(webhookBody(ALERT, "slack")).toEqual({
      text: "[error] Root expires soon: The root <P2S Root> expires in 20 days & nothing replaces it",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "p2s-lifecycle: Root expires soon" } },
        {
          type: "section",
          text: { type: "mrkdwn", text: "The root &lt;P2S Root&gt; expires in 20 days &amp; nothing replaces it" },
        },
        {
          type: "context",
          elements: [
            { type: "mrkdwn", text: "*Severity:* error" },
            { type: "mrkdwn", text: "*Subject:* CN=P2S Root" },
            { type: "mrkdwn", text: "*Raised:* 2026-12-06T10:00:00.000Z" },
            { type: "mrkdwn", text: "*Alert key:* expiry:root:2026-12" },
          ],
        },
      ],
    });
    const long = webhookBody({ ...BARE, title: "x".repeat(200) }, "slack") as {
      blocks: { text?: { text: string } }[];
    };
    expect(long.blocks[0]?.text?.text).toBe(`p2s-lifecycle: ${"x".repeat(200)}`.slice(0, 150));
    expect(long.blocks[0]?.text?.text).toHaveLength(150);
  });
});
