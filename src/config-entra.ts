// Settings of Entra ID events (issue 12): Graph change notifications (webhook or Event Grid partner topic), the
// subscriptions the app keeps alive, and entraReconcile, the delta-query safety net.
import { z } from "zod";
import { optionalString } from "./config-parts";

const ncrontab = z
  .string()
  .trim()
  .regex(/^(\S+\s+){5}\S+$/, "must be a six-field NCRONTAB expression");

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** An https URL (http only on loopback, the dev host), or Graph's Event Grid form "EventGrid:?azuresubscriptionid=...". */
function isNotificationUrl(value: string): boolean {
  if (value.startsWith("EventGrid:?")) {
    const query = new URLSearchParams(value.slice("EventGrid:?".length));
    return ["azuresubscriptionid", "resourcegroup", "partnertopic", "location"].every(
      (k) => (query.get(k) ?? "") !== "",
    );
  }
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  } catch {
    return false;
  }
}

export const entraSettings = {
  ENTRA_EVENTS_ENABLED: z
    .enum(["true", "false"], "must be true or false")
    .default("false")
    .transform((v) => v === "true")
    .describe(
      "Whether the directory drives VPN access: members added to ENTRA_VPN_GROUP_ID (transitively) are onboarded; members removed, disabled or deleted users are offboarded (change notifications, entraEvents, entraReconcile). Needs ENTRA_VPN_GROUP_ID and the Graph application permissions User.Read.All and GroupMember.Read.All. false: the group only gates issuance.",
    ),
  ENTRA_NOTIFICATION_CLIENT_STATE: optionalString
    .pipe(z.string().min(32, "must be at least 32 characters").max(128, "must be at most 128 characters").optional())
    .describe(
      "Secret the app gives Graph as each subscription's clientState and checks (in constant time) on every change notification; a notification without it is refused and audited. In Azure a Key Vault reference (@Microsoft.KeyVault(SecretUri=...)). Entra notifications are refused and no subscription is made while it is unset.",
    ),
  ENTRA_NOTIFICATION_URL: optionalString
    .pipe(
      z
        .string()
        .refine(
          isNotificationUrl,
          "must be an https URL or an EventGrid:?azuresubscriptionid=...&resourcegroup=...&partnertopic=...&location=... URL",
        )
        .optional(),
    )
    .describe(
      "Where Graph sends change notifications for the subscriptions entraSubscriptions keeps alive: the app's public https URL of /api/v1/entra/notifications (lifecycle notifications then go to .../notifications/lifecycle), or an EventGrid: URL naming the partner topic whose events reach entraEvents. No subscription is made while it is unset (entraReconcile still runs).",
    ),
  ENTRA_SUBSCRIPTIONS_SCHEDULE: ncrontab
    .default("0 7 */6 * * *")
    .describe(
      "NCRONTAB schedule of entraSubscriptions, which creates the Graph subscriptions (VPN group, users) and renews them before they expire. Read by the host as %ENTRA_SUBSCRIPTIONS_SCHEDULE%: set it as an app setting.",
    ),
  ENTRA_SUBSCRIPTION_RENEW_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(600)
    .default(72)
    .describe(
      "entraSubscriptions renews a subscription whose expiry (by Graph's clock) is less than this many hours away; directory subscriptions last at most 41,760 minutes.",
    ),
  ENTRA_RECONCILE_SCHEDULE: ncrontab
    .default("0 23 * * * *")
    .describe(
      "NCRONTAB schedule of entraReconcile, the delta query of the VPN group's members and of users' accountEnabled that catches every missed notification. Read by the host as %ENTRA_RECONCILE_SCHEDULE%: set it as an app setting.",
    ),
};

interface EntraView {
  readonly ENTRA_EVENTS_ENABLED: boolean;
  readonly ENTRA_VPN_GROUP_ID?: string | undefined;
  readonly ENTRA_NOTIFICATION_URL?: string | undefined;
  readonly ENTRA_NOTIFICATION_CLIENT_STATE?: string | undefined;
}

/** The cross-field rules of these settings; `valid` says whether a field passed its own checks. */
export function checkEntraSettings(
  s: EntraView,
  ctx: Pick<z.RefinementCtx, "addIssue">,
  valid: (key: keyof EntraView) => boolean,
): void {
  if (valid("ENTRA_EVENTS_ENABLED") && s.ENTRA_EVENTS_ENABLED && valid("ENTRA_VPN_GROUP_ID")) {
    if (s.ENTRA_VPN_GROUP_ID === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["ENTRA_VPN_GROUP_ID"],
        message: "is required while ENTRA_EVENTS_ENABLED is true",
      });
    }
  }
  // Subscriptions without a clientState would deliver notifications the webhook cannot authenticate.
  if (
    valid("ENTRA_NOTIFICATION_URL") &&
    s.ENTRA_NOTIFICATION_URL !== undefined &&
    valid("ENTRA_NOTIFICATION_CLIENT_STATE")
  ) {
    if (s.ENTRA_NOTIFICATION_CLIENT_STATE === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["ENTRA_NOTIFICATION_CLIENT_STATE"],
        message: "is required with ENTRA_NOTIFICATION_URL",
      });
    }
  }
}
