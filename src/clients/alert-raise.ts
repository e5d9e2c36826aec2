// Raises an alert once per key, whatever the number of runs or retries: recorded in the alerts table, one structured
// log line (warning or error, queryable in Application Insights), an audit entry, and the webhook. A failure before
// the webhook answered leaves the alert pending; the retry delivers it without raising it twice.
import { randomUUID } from "node:crypto";
import type { AuditEntry } from "../domain/ledger";
import { alertLogLine, defaultAlertKey } from "../domain/alert-payload";
import type { AlertMessage } from "../domain/alert-payload";
import { postAlertWebhook } from "./alerts";
import type { Alert, AlertWebhookConfig } from "./alerts";
import type { AlertTable } from "./alert-table";

export type RaiseOutcome = "sent" | "logged" | "duplicate";

export interface AlertLog {
  warn(line: string): void;
  error(line: string): void;
}

export interface AlertDeps {
  readonly config: AlertWebhookConfig;
  readonly alerts: AlertTable;
  readonly appendAudit: (entry: AuditEntry) => Promise<void>;
}

export async function raiseAlertOnce(deps: AlertDeps, alert: Alert, now: Date, log: AlertLog): Promise<RaiseOutcome> {
  const message: AlertMessage = {
    key: alert.key ?? defaultAlertKey(alert, now, randomUUID()),
    severity: alert.severity,
    title: alert.title,
    detail: alert.detail,
    raisedAt: now.toISOString(),
    ...(alert.subject === undefined ? {} : { subject: alert.subject }),
    ...(alert.kind === undefined ? {} : { kind: alert.kind }),
    ...(alert.details === undefined ? {} : { details: alert.details }),
  };
  const { record, created } = await deps.alerts.recordOnce(message);
  if (!created && record.delivery !== "pending" && record.delivery !== "sending") return "duplicate";
  if (created) {
    const line = alertLogLine(record);
    if (record.severity === "warning") log.warn(line);
    else log.error(line);
  }
  await deps.appendAudit({
    id: `alert:${record.key}`,
    at: new Date(record.raisedAt),
    actor: "system:alerts",
    action: "alert.raised",
    subject: record.subject ?? "alerts",
    reason: record.title,
    source: record.kind ?? "alert",
    details: { ...record.details, alertKey: record.key, severity: record.severity },
  });
  // Another run at once (a duplicated activity) may hold the delivery: never post twice; a busy claim is retried.
  const claim = await deps.alerts.claimDelivery(record.key, new Date());
  if (claim === "delivered") return "duplicate";
  if (claim === "busy") throw new Error(`alert ${record.key} is being delivered by another run; try again later`);
  let delivery: "sent" | "logged";
  try {
    delivery = await postAlertWebhook(deps.config, record);
  } catch (error) {
    await deps.alerts.releaseDelivery(record.key);
    throw error;
  }
  await deps.alerts.markDelivered(record, delivery, now);
  return delivery;
}
