// Settings of Key Vault create pacing across app instances (issue 16): whether the create budget
// (KEY_VAULT_CERTIFICATE_CREATES_PER_10S) is shared through storage, and the assumptions that sharing rests on.
import { z } from "zod";
import { intInRange } from "./config-parts";

export const pacingSettings = {
  KEY_VAULT_CREATE_PACING: z
    .enum(["shared", "instance"])
    .default("shared")
    .describe(
      "Who shares KEY_VAULT_CERTIFICATE_CREATES_PER_10S: shared (every instance of the app, through slots in the <prefix>Pacing table of the app's storage, so a scaled-out app stays inside the vault's budget) or instance (each instance paces alone: N instances may draw N times the budget).",
    ),
  KEY_VAULT_PACING_CLOCK_SKEW_MS: intInRange(0, 10_000, 250).describe(
    "Largest difference assumed between two app instances' clocks (shared pacing): a slot another instance used is taken again only this much after its window ended by our clock, or a window after this instance first read it answered (no clock assumption) if that is sooner. Too small a value can let a create reach the vault early and draw a 429, never more.",
  ),
  KEY_VAULT_PACING_STORAGE_WAIT_MS: intInRange(1_000, 600_000, 60_000).describe(
    "How long a certificate create waits for the pacing table when storage does not answer (shared pacing) before its step fails and is retried by the orchestration. No create is sent unpaced meanwhile.",
  ),
};
