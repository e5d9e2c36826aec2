// Settings of VPN client profile packages (issue 13): regeneration after P2S changes, the weekly refresh, downloads
// from the gateway's package URL, the versions kept in PROFILE_CONTAINER and the read-only links the API hands out.
import { z } from "zod";
import { csv, intInRange } from "./config-parts";

/** A host name, or *.suffix for any host under it. */
const hostPattern = z
  .string()
  .toLowerCase()
  .regex(
    /^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    "must be host names or *.suffix patterns",
  );

export const profileSettings = {
  PROFILES_ENABLED: z
    .enum(["true", "false"], "must be true or false")
    .default("true")
    .transform((v) => v === "true")
    .describe(
      "Whether the app regenerates the gateways' VPN client profile packages (gatewayEvents, the gateway writer's root changes, profileRefresh). false leaves profiles to someone else: events are ignored and counted, nothing is generated.",
    ),
  PROFILE_DEBOUNCE_MS: intInRange(0, 600_000, 30_000).describe(
    "How long after a gateway write event the profile regeneration waits for more events of the same gateway, so a burst of writes gives one regeneration.",
  ),
  PROFILE_VERSIONS_KEPT: intInRange(1, 100, 5).describe(
    "Profile package versions kept per gateway in PROFILE_CONTAINER (the current one included); older ones are deleted.",
  ),
  PROFILE_REFRESH_SCHEDULE: z
    .string()
    .trim()
    .regex(/^(\S+\s+){5}\S+$/, "must be a six-field NCRONTAB expression")
    .default("0 0 3 * * 1")
    .describe(
      "NCRONTAB schedule of profileRefresh, which regenerates every gateway's profile and compares the package, to catch Microsoft's gateway server root changes (weekly by default). The Functions host reads it as %PROFILE_REFRESH_SCHEDULE%, so it must be set as an app setting.",
    ),
  PROFILE_DOWNLOAD_HOSTS: csv
    .pipe(z.array(hostPattern))
    .default(["*.blob.core.windows.net"])
    .describe(
      "Comma-separated hosts (or *.suffix patterns) the generated profile package may be downloaded from; https only, and a redirect to any other host is refused.",
    ),
  PROFILE_DOWNLOAD_MAX_BYTES: intInRange(1024, 100 * 1024 * 1024, 4 * 1024 * 1024).describe(
    "Largest profile package download, in bytes; a larger one is refused.",
  ),
  PROFILE_DOWNLOAD_TIMEOUT_MS: intInRange(1000, 600_000, 30_000).describe(
    "Time limit of one profile package download (redirects included).",
  ),
  PROFILE_LINK_SECONDS: intInRange(5, 3600, 900).describe(
    "Lifetime, in seconds, of the read-only link (user-delegation SAS) to a gateway's profile package that GET /api/v1/gateways/{name}/profile answers.",
  ),
};
