// Settings of the signed callbacks to ticketing systems (issue 11): how long a callback is retried and how long one
// attempt may take. The allowlist itself is TICKETING_CALLBACK_ALLOWLIST in config.ts.
import { intInRange } from "./config-parts";
import type { CallbackUrlOptions } from "./domain/callback-url";

export const callbackSettings = {
  TICKETING_CALLBACK_MAX_HOURS: intInRange(1, 168, 24).describe(
    "How long a ticket callback is retried (with backoff: 30 s, doubling, at most 1 h apart) after its first attempt; each attempt is audited. 2xx delivers it; a 4xx other than 408 and 429 stops it.",
  ),
  TICKETING_CALLBACK_TIMEOUT_MS: intInRange(1_000, 60_000, 10_000).describe(
    "Time limit of one callback attempt (DNS, connection, TLS and the answer's headers); a slower receiver counts as a failed attempt and is retried.",
  ),
};

/**
 * The callback URL rules for this configuration: the sandbox (P2S_CREDENTIAL=localEmulator, which config.ts allows
 * only with every Azure endpoint on loopback) may call back its own loopback receivers; nothing else ever may.
 */
export function callbackUrlOptions(config: { readonly P2S_CREDENTIAL: string }): CallbackUrlOptions {
  return { loopbackAllowed: config.P2S_CREDENTIAL === "localEmulator" };
}
