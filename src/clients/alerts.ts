// Sends operator alerts to the configured webhook (Teams, Logic App, PagerDuty...); logs them when none is set.
import type { Config } from "../config";

export interface Alert {
  readonly severity: "warning" | "error" | "critical";
  readonly title: string;
  readonly detail: string;
  readonly subject?: string;
}

export async function sendAlert(
  config: Pick<Config, "ALERT_WEBHOOK_URL">,
  alert: Alert,
  log: (line: string) => void,
): Promise<"sent" | "logged"> {
  log(`ALERT ${alert.severity}: ${alert.title}: ${alert.detail}`);
  if (config.ALERT_WEBHOOK_URL === undefined) return "logged";
  const response = await fetch(config.ALERT_WEBHOOK_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ source: "p2s-lifecycle", ...alert, at: new Date().toISOString() }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`alert webhook answered ${response.status}`);
  return "sent";
}
