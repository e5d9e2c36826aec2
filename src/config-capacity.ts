// Settings of the revocation capacity policy (issue 14, h-capacity): what the app does when a gateway's 300-entry
// revocation list fills (critical alert, automatic root rotation), and how far back a writer pass reads expired
// revocations to prune them. The alert threshold stays REVOCATION_CAPACITY_ALERT_PERCENT (config-expiry.ts).
import { z } from "zod";
import { intInRange } from "./config-parts";

export const capacitySettings = {
  ROOT_ROTATION_AUTO: z
    .enum(["true", "false"], "must be true or false")
    .default("false")
    .transform((v) => v === "true")
    .describe(
      "Whether a root rotation starts by itself when a gateway's revocation list reaches REVOCATION_CAPACITY_ALERT_PERCENT (expiryCheck) or when a write leaves revocations off for want of room (the gateway writer). A rotation retires the current root, and with it every revocation it issued. false only alerts (critically), naming the rotation to start (POST /api/v1/roots/rotations).",
    ),
  REVOCATION_PRUNE_LOOKBACK_DAYS: intInRange(1, 3650, 30).describe(
    "A writer pass reads, besides every unexpired revocation of the trusted roots, those that expired within this many days (past GATEWAY_PRUNE_MARGIN_HOURS), to prune their entries from the gateways. An app-owned entry whose certificate expired longer ago than that is no longer recognised as expired and stays until a hand edit removes it, so keep it well above the longest time a gateway can go unwritten.",
  ),
};
