// What an alert looks like on the wire and in the logs, pure: the idempotency key of an alert that brings none, the
// webhook body in each format (generic JSON, Teams Adaptive Card, Slack blocks) and the structured log line.
import { createHash } from "node:crypto";

export type AlertSeverity = "warning" | "error" | "critical";
export type AlertFormat = "generic" | "teams" | "slack";

/** The alert as delivered: public facts only (never a key, a PFX, a passphrase or a secret). */
export interface AlertMessage {
  readonly key: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly detail: string;
  readonly subject?: string;
  /** What raised it: "expiry", "capacity", "gateway", "profile"... */
  readonly kind?: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  /** ISO 8601: when it was first raised. */
  readonly raisedAt: string;
}

/**
 * Marks the JSON in the log line, after the readable head ("ALERT <severity>: <title> "), so Application Insights
 * queries find and parse it: traces | where message has "P2S_ALERT " (see README).
 */
export const ALERT_LOG_MARKER = "P2S_ALERT ";

/**
 * The key of an alert raised without one: unique to the call (its content and instant), so such an alert is raised
 * each time it is called, as before keys existed. A caller that needs "once" passes its own key.
 */
export function defaultAlertKey(
  alert: { readonly severity: string; readonly title: string; readonly detail: string; readonly subject?: string },
  now: Date,
  nonce: string,
): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([alert.severity, alert.title, alert.detail, alert.subject ?? ""]))
    .digest("hex")
    .slice(0, 16);
  return `call:${now.toISOString()}:${digest}:${nonce}`;
}

/** "ALERT <severity>: <title> P2S_ALERT {json}": the JSON has the same field names every time. */
export function alertLogLine(alert: AlertMessage): string {
  return `ALERT ${alert.severity}: ${alert.title} ${ALERT_LOG_MARKER}${JSON.stringify({
    event: "p2s.alert",
    alertKey: alert.key,
    severity: alert.severity,
    kind: alert.kind ?? "general",
    title: alert.title,
    detail: alert.detail,
    subject: alert.subject ?? "",
    raisedAt: alert.raisedAt,
    ...(alert.details === undefined ? {} : { details: alert.details }),
  })}`;
}

const SEVERITY_COLOUR: Readonly<Record<AlertSeverity, "Warning" | "Attention">> = {
  warning: "Warning",
  error: "Attention",
  critical: "Attention",
};

/** The webhook body for the configured format. */
export function webhookBody(alert: AlertMessage, format: AlertFormat): unknown {
  if (format === "teams") return teamsBody(alert);
  if (format === "slack") return slackBody(alert);
  return { source: "p2s-lifecycle", ...alert, at: alert.raisedAt };
}

function facts(alert: AlertMessage): { title: string; value: string }[] {
  return [
    { title: "Severity", value: alert.severity },
    ...(alert.subject === undefined ? [] : [{ title: "Subject", value: alert.subject }]),
    { title: "Raised", value: alert.raisedAt },
    { title: "Alert key", value: alert.key },
  ];
}

/**
 * A message with one Adaptive Card attachment: what a Teams Workflows webhook ("When a Teams webhook request is
 * received", "Post card in a chat or channel") and the older incoming webhooks both take.
 */
function teamsBody(alert: AlertMessage): unknown {
  return {
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
              color: SEVERITY_COLOUR[alert.severity],
            },
            { type: "TextBlock", text: alert.detail, wrap: true },
            { type: "FactSet", facts: facts(alert) },
          ],
        },
      },
    ],
  };
}

/** Slack's incoming webhook: `text` is the notification fallback, `blocks` the message. */
function slackBody(alert: AlertMessage): unknown {
  const text = `[${alert.severity}] ${alert.title}: ${alert.detail}`;
  return {
    text,
    blocks: [
      { type: "header", text: { type: "plain_text", text: `p2s-lifecycle: ${alert.title}`.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: escapeSlack(alert.detail) } },
      {
        type: "context",
        elements: facts(alert).map((f) => ({ type: "mrkdwn", text: `*${f.title}:* ${escapeSlack(f.value)}` })),
      },
    ],
  };
}

/** Slack's three control characters in mrkdwn. */
function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
