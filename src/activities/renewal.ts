// Activity: starts the renewal of one certificate as a lifecycle request (action "renew"), keyed on the old
// certificate's thumbprint so it starts once whatever the number of expiryCheck runs. The request passes the same
// gates as any issuance (still enabled, still in the group, not offboarded) and is delivered as a reissue is; the old
// certificate is left to expire, never revoked.
import * as df from "durable-functions";
import { defineActivity } from "./define";
import { startLifecycleRequest } from "../clients/lifecycle-start";
import type { LifecycleStarted } from "../clients/lifecycle-start";
import type { RenewalCandidate } from "../clients/expiry-scan";

export const RENEWAL_ACTOR = "system:renewal";

export const startRenewal = defineActivity<RenewalCandidate & { readonly now: string }, LifecycleStarted>(
  "startRenewal",
  (candidate, context) =>
    startLifecycleRequest(
      df.getClient(context),
      {
        source: "renewal",
        sourceKey: candidate.thumbprint,
        action: "renew",
        upn: candidate.upn,
        actor: RENEWAL_ACTOR,
        reason: `renewal of ${candidate.thumbprint} (${candidate.certificateName}), which expires ${candidate.notAfter}`,
      },
      new Date(candidate.now),
    ),
  [df.input.durableClient()],
);
