// Settings of expiry, renewal and alerts (issue 13, h-expiry): the daily expiryCheck timer, its thresholds, the
// revocation capacity alert and the alert webhook's payload format.
import { z } from "zod";
import { intInRange } from "./config-parts";

/** "90,30,14,7,1" -> [1, 7, 14, 30, 90]: distinct whole days, ascending. */
const thresholdDays = z
  .string()
  .default("90,30,14,7,1")
  .transform((s) =>
    s
      .split(/[,;\s]+/)
      .map((x) => x.trim())
      .filter((x) => x !== ""),
  )
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^\d{1,4}$/, "must be whole days")
          .transform(Number)
          .pipe(z.number().min(1, "must be 1 day or more").max(3650)),
      )
      .min(1, "must name at least one threshold"),
  )
  .transform((days) => [...new Set(days)].sort((a, b) => a - b));

export const expirySettings = {
  ALERT_WEBHOOK_FORMAT: z
    .enum(["generic", "teams", "slack"])
    .default("generic")
    .describe(
      "Payload the alert webhook receives: generic (the alert's JSON fields), teams (a message with an Adaptive Card attachment, for a Teams Workflows 'When a Teams webhook request is received' flow or an incoming webhook) or slack ({ text, blocks }, for a Slack incoming webhook).",
    ),
  EXPIRY_CHECK_SCHEDULE: z
    .string()
    .trim()
    .regex(/^(\S+\s+){5}\S+$/, "must be a six-field NCRONTAB expression")
    .default("0 0 6 * * *")
    .describe(
      "NCRONTAB schedule of expiryCheck (daily by default): root and client certificate expiry, renewals, expired ledger entries, revocation capacity. The Functions host reads it as %EXPIRY_CHECK_SCHEDULE%, so it must be set as an app setting.",
    ),
  EXPIRY_ALERT_THRESHOLDS_DAYS: thresholdDays.describe(
    "Comma-separated days before expiry at which a root (every root on every gateway, hand-added ones too, and the CA root in Key Vault) raises an alert, once per root and threshold: the tightest threshold crossed (a root 20 days from expiry raises the 30-day alert once, not the 90-day one too). Client certificates use the thresholds up to CLIENT_EXPIRY_WARNING_DAYS.",
  ),
  REVOCATION_CAPACITY_ALERT_PERCENT: intInRange(1, 100, 80).describe(
    "Raise an alert, with a forecast of the days until full at the last 30 days' rate, when a gateway's revocation list reaches this percentage of its 300 entries; once per gateway each time it crosses the line.",
  ),
};
