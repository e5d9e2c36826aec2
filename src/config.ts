// The only reader of process.env. Every setting the app uses is declared, documented and validated here, and a bad
// configuration fails with one message naming every offending setting.
import { z } from "zod";
import { accessSettings, checkAccessSettings } from "./config-access";
import { hrSettings } from "./config-hr";
import { callbackSettings } from "./config-callbacks";
import { expirySettings } from "./config-expiry";
import { capacitySettings } from "./config-capacity";
import { deliverySettings } from "./config-delivery";
import { checkEntraSettings, entraSettings } from "./config-entra";
import { profileSettings } from "./config-profiles";
import { rotationSettings } from "./config-rotation";
import { ticketingSettings } from "./config-ticketing";
import { csv, httpsOrigin, httpsUrl, intInRange, optionalString } from "./config-parts";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** True for hosts that only exist on this machine (the local emulators). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

const GATEWAY_ID =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w._()]{1,90}\/providers\/Microsoft\.Network\/virtualNetworkGateways\/[-\w._]{1,80}$/i;

const rsaKeySize = z.coerce
  .number()
  .int()
  .refine((n) => n === 2048 || n === 3072 || n === 4096, "must be 2048, 3072 or 4096 (the gateway takes RSA only)");

/**
 * The settings, by their app-setting names. Each `describe` is the documentation shown in the README table and in
 * local.settings.sample.json; keep the three in step.
 */
export const settingsSchema = z
  .object({
    AzureWebJobsStorage: optionalString.describe(
      "Storage connection string for the Functions host, the durable task hub, the ledger tables and the profile blobs. Locally Azurite. In Azure prefer identity-based AzureWebJobsStorage__blobServiceUri and __tableServiceUri.",
    ),
    AzureWebJobsStorage__blobServiceUri: optionalString.describe(
      "Identity-based storage: the blob service URI (used when AzureWebJobsStorage is not set).",
    ),
    AzureWebJobsStorage__tableServiceUri: optionalString.describe(
      "Identity-based storage: the table service URI (used when AzureWebJobsStorage is not set).",
    ),
    P2S_TASK_HUB: z
      .string()
      .trim()
      .regex(/^[A-Za-z][A-Za-z0-9]{2,44}$/, "must be 3-45 letters or digits, starting with a letter")
      .default("p2slifecycle")
      .describe("Durable Functions task hub name (host.json reads it)."),
    AZURE_CLIENT_ID: optionalString.describe(
      "Client id of the user-assigned managed identity the app runs as. With P2S_CREDENTIAL=managedIdentity, ManagedIdentityCredential uses it (the system-assigned identity when unset); with default, DefaultAzureCredential's managed identity uses it.",
    ),
    P2S_CREDENTIAL: z
      .enum(["default", "managedIdentity", "localEmulator"])
      .default("default")
      .describe(
        "How the app authenticates to Azure: default (DefaultAzureCredential), managedIdentity, or localEmulator (a fixed token, refused unless every Azure endpoint is on loopback).",
      ),
    P2S_TRUSTED_CA_FILE: optionalString.describe(
      "PEM file of an extra CA to trust for TLS to Azure endpoints (the local emulators' CA). TLS verification is never turned off.",
    ),
    KEY_VAULT_URL: httpsUrl.describe("URL of the Key Vault that holds the root CA and the client certificates."),
    KEY_VAULT_DNS_SUFFIX: z
      .string()
      .trim()
      .default("vault.azure.net")
      .describe("Key Vault DNS suffix of the cloud (vault.usgovcloudapi.net, vault.azure.cn...)."),
    ARM_ENDPOINT: httpsUrl.default("https://management.azure.com").describe("Azure Resource Manager endpoint."),
    ARM_AUDIENCE: z
      .string()
      .trim()
      .default("https://management.azure.com/.default")
      .describe("Token scope for ARM in this cloud."),
    GRAPH_ENDPOINT: httpsUrl.default("https://graph.microsoft.com").describe("Microsoft Graph endpoint of the cloud."),
    // Microsoft Graph client (the VPN group gate, ENTRA_VPN_GROUP_ID).
    GRAPH_AUDIENCE: z
      .string()
      .trim()
      .default("https://graph.microsoft.com/.default")
      .describe("Token scope for Microsoft Graph in this cloud."),
    GRAPH_THROTTLE_MAX_WAIT_MS: intInRange(0, 600_000, 120_000).describe(
      "Longest a Graph call waits out Graph's throttling (429, 503, 504; Retry-After when sent, else 1, 2, 4... s) before it fails; the failed step is then retried by the orchestration.",
    ),
    CA_ROOT_NAME: z
      .string()
      .trim()
      .regex(/^[0-9a-zA-Z-]{1,127}$/, "must be a Key Vault object name (letters, digits, dashes)")
      .default("p2s-root-ca")
      .describe("Key Vault certificate name of the root CA; also the root's name on the gateways."),
    CA_ROOT_SUBJECT: z
      .string()
      .trim()
      .min(4)
      .default("CN=P2S Root CA, O=p2s-lifecycle")
      .describe("Distinguished name of the root CA created on first start."),
    CA_ROOT_KEY_SIZE: rsaKeySize.default(4096).describe("RSA key size of the root CA (2048, 3072, 4096)."),
    CA_ROOT_VALIDITY_YEARS: intInRange(1, 30, 10).describe("Validity of a new root CA, in years."),
    CLIENT_CERT_KEY_SIZE: rsaKeySize.default(2048).describe("RSA key size of client certificates (2048, 3072, 4096)."),
    CLIENT_CERT_VALIDITY_DAYS: intInRange(1, 825, 180).describe(
      "Validity of client certificates, in days. Short, because a gateway holds only 300 revocations.",
    ),
    CLIENT_CERT_NAME_PREFIX: z
      .string()
      .trim()
      .regex(/^[a-zA-Z][0-9a-zA-Z-]{0,40}$/)
      .default("p2s-user")
      .describe("Prefix of the Key Vault certificate names of client certificates."),
    KEY_VAULT_CERTIFICATE_CREATES_PER_10S: intInRange(0, 1000, 20).describe(
      "Certificate creates one app instance starts per vault per 10 seconds; more wait in the app instead of drawing 429s. Key Vault counts a certificate create like an RSA key create: 20 per 10 s for software keys (10 for HSM). Share the budget when several instances or other writers use the vault; 0 turns pacing off.",
    ),
    PFX_ENCRYPTION: z
      .enum(["aes256", "legacy3des"])
      .default("aes256")
      .describe(
        "PKCS#12 encryption: aes256 (AES-256-CBC, PBKDF2-SHA256, SHA-256 MAC) or legacy3des (TripleDES key bag, SHA-1 MAC, certificates unencrypted) for older key stores.",
      ),
    GATEWAY_RESOURCE_IDS: csv
      .pipe(z.array(z.string().regex(GATEWAY_ID, "must be a virtualNetworkGateways resource id")))
      .describe("Comma-separated resource ids of the VPN gateways to manage (several are supported)."),
    LEDGER_TABLE_PREFIX: z
      .string()
      .trim()
      .regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/, "must be letters or digits, starting with a letter")
      .default("p2s")
      .describe(
        "Prefix of the ledger tables (<prefix>Certificates, <prefix>Audit, <prefix>Gateways, <prefix>Users, <prefix>Requests).",
      ),
    PROFILE_CONTAINER: z
      .string()
      .trim()
      .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be a blob container name")
      .default("vpn-profiles")
      .describe("Blob container for the generated VPN client profile packages."),
    TICKETING_SHARED_SECRET: optionalString
      .pipe(z.string().min(32, "must be at least 32 characters").optional())
      .describe(
        "Shared secret the ticketing system signs its requests with (HMAC-SHA256). Keep it in Key Vault and reference it. Ticket requests are refused while it is unset.",
      ),
    TICKETING_CALLBACK_ALLOWLIST: csv
      .pipe(z.array(httpsOrigin))
      .describe("Comma-separated https origins the app may call back with ticket results."),
    ...callbackSettings,
    ENTRA_VPN_GROUP_ID: optionalString
      .pipe(z.uuid("must be a group object id (GUID)").optional())
      .describe(
        "Object id of the Entra ID group whose members get VPN access. When set, every issuance first checks through Microsoft Graph that the user exists, is enabled and is a member of the group (directly or through nested groups), and is refused otherwise. Needs the Graph application permissions User.Read.All and GroupMember.Read.All.",
      ),
    ALERT_WEBHOOK_URL: optionalString
      .pipe(httpsUrl.optional())
      .describe("https webhook that receives alerts (expiry, sync failures). Alerts are only logged when unset."),
    ...expirySettings,
    ...capacitySettings,
    CLIENT_EXPIRY_WARNING_DAYS: intInRange(1, 365, 21).describe(
      "Client certificates alert (EXPIRY_ALERT_THRESHOLDS_DAYS) only at thresholds of this many days or fewer, and only while their user holds no later certificate (renewed).",
    ),
    CLIENT_RENEWAL_DAYS: intInRange(1, 365, 14).describe(
      "expiryCheck renews an active certificate (issued through Key Vault) this many days before it expires: a new one through the same gates as any issuance, delivered as a reissue is; the old one is left to expire, never revoked. Once per certificate.",
    ),
    GATEWAY_RECONCILE_SCHEDULE: z
      .string()
      .trim()
      .regex(/^(\S+\s+){5}\S+$/, "must be a six-field NCRONTAB expression")
      .default("0 */5 * * * *")
      .describe(
        "NCRONTAB schedule of gatewayReconcile, the safety net that repairs drift and applies anything missed. The Functions host reads it as %GATEWAY_RECONCILE_SCHEDULE%, so it must be set as an app setting.",
      ),
    GATEWAY_BUSY_BACKOFF_MS: intInRange(10, 600_000, 15_000).describe(
      "First wait after a gateway answers 409 AnotherOperationInProgress (doubles up to 5 minutes; Retry-After wins when longer).",
    ),
    GATEWAY_POLL_INTERVAL_MS: intInRange(10, 120_000, 10_000).describe(
      "Polling interval of gateway long-running operations (PUT, connection health, disconnect) until the gateway sends Retry-After, which replaces it (Azure sends 10 s).",
    ),
    GATEWAY_COALESCE_MS: intInRange(0, 300_000, 5_000).describe(
      "How long a gateway writer, woken by a request, waits before reading the ledger, so that a burst of offboardings goes into one gateway write (each write can take minutes and has been seen to disconnect P2S users). 0 writes at once.",
    ),
    GATEWAY_BUSY_ALERT_MS: intInRange(1_000, 86_400_000, 1_800_000).describe(
      "Raise a warning alert when a gateway has refused the writer (busy or throttled) for this long; the writer keeps trying.",
    ),
    GATEWAY_PRUNE_MARGIN_HOURS: intInRange(0, 8760, 24).describe(
      "A revoked certificate's entry is pruned from the gateways only this many hours after the certificate's notAfter: the gateway judges expiry by its own clock, not ours.",
    ),
    GATEWAY_RADIUS_SECRET_NAME: optionalString
      .pipe(
        z
          .string()
          .max(127)
          .regex(
            /^[0-9a-zA-Z-]*(\{gateway\}[0-9a-zA-Z-]*)*$/,
            "must be a Key Vault secret name (letters, digits, dashes), optionally with {gateway}",
          )
          .optional(),
      )
      .describe(
        "Key Vault secret (in KEY_VAULT_URL) holding the RADIUS server secret of gateways configured with RADIUS; {gateway} is replaced by the gateway's name (characters other than letters, digits and dashes become dashes), for one secret per gateway. A gateway GET never returns the secret and every write is a full-object PUT, so a RADIUS gateway is not written (critical alert, revocations kept pending) until this names a secret that exists.",
      ),
    ...accessSettings,
    ...hrSettings,
    ...ticketingSettings,
    ...deliverySettings,
    ...entraSettings,
    ...profileSettings,
    ...rotationSettings,
    HEALTH_CHECK_TIMEOUT_MS: intInRange(100, 60000, 5000).describe("Time limit of each health probe."),
    HEALTH_CACHE_MS: intInRange(0, 60_000, 5_000).describe(
      "How long the anonymous health endpoint reuses its last probe results, so unauthenticated traffic cannot drive calls to Key Vault, ARM and storage. 0 probes on every call.",
    ),
    // Self-service certificates and the per-user cap (issue 10, h-csr).
    MAX_ACTIVE_CERTIFICATES_PER_USER: intInRange(1, 100, 3).describe(
      "Most certificates a user may hold at once (active, or being issued and updated within the last day; not yet expired); every issuance, from any source, beyond it is refused (409 at the edge, a failed request in the orchestration). Superseded, revoked and expired ones do not count.",
    ),
    SELF_SERVICE_WAIT_MS: intInRange(0, 60_000, 20_000).describe(
      "How long POST /api/v1/me/certificates waits for the issuance to finish before answering 202 with the request instead of 201 with the certificate.",
    ),
  })
  .superRefine(
    (s, ctx) => {
      // zod runs this even when fields failed (see `when`), so that one error names every bad setting. A field with
      // an issue of its own may be missing or malformed here: each rule reads only fields that passed their checks.
      const valid = (key: keyof typeof s): boolean => !ctx.issues.some((issue) => issue.path?.[0] === key);
      if (s.AzureWebJobsStorage === undefined && s.AzureWebJobsStorage__blobServiceUri === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["AzureWebJobsStorage"],
          message: "is required (or AzureWebJobsStorage__blobServiceUri and __tableServiceUri)",
        });
      }
      if (
        s.AzureWebJobsStorage === undefined &&
        s.AzureWebJobsStorage__blobServiceUri !== undefined &&
        s.AzureWebJobsStorage__tableServiceUri === undefined
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["AzureWebJobsStorage__tableServiceUri"],
          message: "is required with AzureWebJobsStorage__blobServiceUri",
        });
      }
      if (valid("KEY_VAULT_URL") && valid("KEY_VAULT_DNS_SUFFIX") && !isLoopbackUrl(s.KEY_VAULT_URL)) {
        const host = hostnameOf(s.KEY_VAULT_URL);
        if (host === undefined || !host.endsWith(`.${s.KEY_VAULT_DNS_SUFFIX}`)) {
          ctx.addIssue({
            code: "custom",
            path: ["KEY_VAULT_URL"],
            message: `must be a vault under .${s.KEY_VAULT_DNS_SUFFIX} (see KEY_VAULT_DNS_SUFFIX)`,
          });
        }
      }
      if (valid("P2S_CREDENTIAL") && s.P2S_CREDENTIAL === "localEmulator") {
        // Every endpoint the app sends tokens to: the fixed local token must never travel to a real service.
        const tokenEndpoints = [
          "KEY_VAULT_URL",
          "ARM_ENDPOINT",
          "GRAPH_ENDPOINT",
          "DELIVERY_BLOB_SERVICE_URI",
        ] as const;
        // Storage takes the credential only when it is identity-based (no connection string).
        const storageEndpoints =
          s.AzureWebJobsStorage === undefined
            ? (["AzureWebJobsStorage__blobServiceUri", "AzureWebJobsStorage__tableServiceUri"] as const)
            : [];
        for (const key of [...tokenEndpoints, ...storageEndpoints]) {
          const url = s[key];
          if (url !== undefined && valid(key) && !isLoopbackUrl(url)) {
            ctx.addIssue({
              code: "custom",
              path: [key],
              message: "must be a loopback URL when P2S_CREDENTIAL=localEmulator",
            });
          }
        }
      }
      checkAccessSettings(s, ctx, valid);
      checkEntraSettings(s, ctx, valid);
      if (
        valid("CLIENT_RENEWAL_DAYS") &&
        valid("CLIENT_CERT_VALIDITY_DAYS") &&
        s.CLIENT_RENEWAL_DAYS >= s.CLIENT_CERT_VALIDITY_DAYS
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["CLIENT_RENEWAL_DAYS"],
          message: "must be less than CLIENT_CERT_VALIDITY_DAYS",
        });
      }
    },
    // By default zod skips refinements once a field is missing or of the wrong type; run them on any settings object.
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );

function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

export type Settings = z.infer<typeof settingsSchema>;

/** The typed, frozen configuration the app reads. */
export type Config = Readonly<
  Omit<
    Settings,
    | "GATEWAY_RESOURCE_IDS"
    | "TICKETING_CALLBACK_ALLOWLIST"
    | "ENTRA_API_AUDIENCES"
    | "ALLOWED_UPN_DOMAINS"
    | "PROFILE_DOWNLOAD_HOSTS"
  > & {
    GATEWAY_RESOURCE_IDS: readonly string[];
    TICKETING_CALLBACK_ALLOWLIST: readonly string[];
    ENTRA_API_AUDIENCES: readonly string[];
    ALLOWED_UPN_DOMAINS: readonly string[];
    PROFILE_DOWNLOAD_HOSTS: readonly string[];
  }
>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly { setting: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.setting} ${p.message}`).join("; ")}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Validates an environment; throws ConfigError naming every missing or invalid setting. */
export function parseConfig(env: Env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = env[key];
    if (value !== undefined) input[key] = value;
  }
  const result = settingsSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        setting: issue.path.length > 0 ? issue.path.map(String).join(".") : "(settings)",
        // zod 4 leaves the input out of its issues, so a missing setting is told from a malformed one by the env.
        message:
          issue.code === "invalid_type" && issue.path.length === 1 && input[String(issue.path[0])] === undefined
            ? "is required"
            : issue.message,
      })),
    );
  }
  return Object.freeze({
    ...result.data,
    GATEWAY_RESOURCE_IDS: Object.freeze([...result.data.GATEWAY_RESOURCE_IDS]),
    TICKETING_CALLBACK_ALLOWLIST: Object.freeze([...result.data.TICKETING_CALLBACK_ALLOWLIST]),
    ENTRA_API_AUDIENCES: Object.freeze([...result.data.ENTRA_API_AUDIENCES]),
    ALLOWED_UPN_DOMAINS: Object.freeze([...result.data.ALLOWED_UPN_DOMAINS]),
    PROFILE_DOWNLOAD_HOSTS: Object.freeze([...result.data.PROFILE_DOWNLOAD_HOSTS]),
  });
}

let cached: Config | undefined;

/** The app's configuration from process.env, validated once. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Forgets the cached configuration (tests and the dev host change the environment between runs). */
export function resetConfig(): void {
  cached = undefined;
}
