// Sends operator alerts to the configured webhook (Teams, Slack, a Logic App...) in the configured payload format;
// logs them when none is set. Recording an alert once (its key) is alert-raise.ts; this is only the delivery.
import { request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
import type { Config } from "../config";
import { tlsClientOptions } from "./azure-options";
import { webhookBody } from "../domain/alert-payload";
import type { AlertFormat, AlertMessage } from "../domain/alert-payload";

export interface Alert {
  readonly severity: "warning" | "error" | "critical";
  readonly title: string;
  readonly detail: string;
  readonly subject?: string;
  /**
   * Idempotency key: the alert is raised once per key, whatever the number of runs or retries (raiseAlert). Without
   * one, every call raises it (as before keys existed).
   */
  readonly key?: string;
  /** What raised it ("expiry", "capacity", "gateway"...), for queries. */
  readonly kind?: string;
  /** Small public facts for the log, the audit and the webhook; never secrets. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export type AlertWebhookConfig = Pick<Config, "ALERT_WEBHOOK_URL"> &
  Partial<Pick<Config, "ALERT_WEBHOOK_FORMAT" | "P2S_TRUSTED_CA_FILE">>;

const WEBHOOK_TIMEOUT_MS = 10_000;

/** Logs the alert and posts it to the webhook when one is set (unrecorded: prefer the raiseAlert activity). */
export async function sendAlert(
  config: AlertWebhookConfig,
  alert: Alert,
  log: (line: string) => void,
): Promise<"sent" | "logged"> {
  log(`ALERT ${alert.severity}: ${alert.title}: ${alert.detail}`);
  const raisedAt = new Date().toISOString();
  return postAlertWebhook(config, { ...alert, key: alert.key ?? `unrecorded:${raisedAt}`, raisedAt });
}

/** Posts one alert to ALERT_WEBHOOK_URL in ALERT_WEBHOOK_FORMAT; "logged" when no webhook is set. Throws on failure. */
export async function postAlertWebhook(config: AlertWebhookConfig, alert: AlertMessage): Promise<"sent" | "logged"> {
  const url = config.ALERT_WEBHOOK_URL;
  if (url === undefined) return "logged";
  const format: AlertFormat = config.ALERT_WEBHOOK_FORMAT ?? "generic";
  const body = JSON.stringify(webhookBody(alert, format));
  const extraCa = tlsClientOptions(config).tlsOptions?.ca;
  const status = await postJson(url, body, alert.key, extraCa);
  // Redirects are not followed: a webhook that moved is a configuration to fix, not a place to send alerts to.
  if (status < 200 || status >= 300) throw new Error(`alert webhook answered ${status}`);
  return "sent";
}

/** POST through node:https so an extra trusted CA (P2S_TRUSTED_CA_FILE) adds to the system roots; fetch takes none. */
function postJson(url: string, body: string, alertKey: string, extraCa: string | undefined): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          // Receivers that keep state can drop a repeat (a delivery whose success could not be recorded is retried).
          "x-p2s-alert-key": encodeURIComponent(alertKey),
        },
        ...(extraCa === undefined ? {} : { ca: [...rootCertificates, extraCa] }),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          resolve(res.statusCode ?? 0);
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
