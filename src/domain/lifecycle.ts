// Lifecycle requests (onboard, offboard, reissue, renew) from any source (ticketing, HR, Entra ID, the renewal
// timer): the idempotency key, the orchestration's input and output, and the requests it hands to the issuance and
// offboarding orchestrations. Pure: no I/O, so the orchestrator may call every function here.
import { createHash } from "node:crypto";
import type { GatewayWriterInput } from "./gateway-writer-input";
import type { IssuanceRequest, RevocationRequest } from "./issuance";
import type { RequestRecordInput } from "./requests";
import { assertUpn, upnKey } from "./upn";

export const LIFECYCLE_ACTIONS = ["onboard", "offboard", "reissue", "renew"] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];
export const LIFECYCLE_SOURCES = ["ticket", "hr", "entra", "renewal", "rotation"] as const;
export type LifecycleSource = (typeof LIFECYCLE_SOURCES)[number];

export interface LifecycleSubmission {
  readonly source: LifecycleSource;
  /** The item's id in its source: ticket id, HR event id, Entra change key, the renewed certificate's thumbprint. */
  readonly sourceKey: string;
  readonly action: LifecycleAction;
  /** Validated by the caller. */
  readonly upn: string;
  /** Audit label: "ticket:<client>", "hr:queue", "entra:notification", "system:renewal". */
  readonly actor: string;
  /** The submitting token's object id: it may read the request back. */
  readonly submitterObjectId?: string;
  readonly reason?: string;
  /** Reissue: revoke the old certificates at once instead of after the new one is delivered. */
  readonly lostDevice?: boolean;
  /** Already checked by checkCallbackUrl. */
  readonly callbackUrl?: string;
  readonly ticketId?: string;
}

/** The orchestration's input: the submission, its public id and what the orchestrator must not read from config. */
export interface LifecycleInput {
  readonly requestId: string;
  readonly source: LifecycleSource;
  readonly sourceKey: string;
  readonly action: LifecycleAction;
  readonly upn: string;
  readonly actor: string;
  readonly reason?: string;
  readonly lostDevice?: boolean;
  readonly callbackUrl?: string;
  readonly ticketId?: string;
  /** ISO time the request was accepted: it orders the user's onboardings and offboardings (a tie is offboarded). */
  readonly requestedAt: string;
  readonly certificateNamePrefix: string;
  /** Every configured gateway's writer, for an offboarding. */
  readonly writers: readonly GatewayWriterInput[];
  /** The request's record, which the instance writes first (absent in instances started before it existed). */
  readonly record?: RequestRecordInput;
}

/** Every lifecycle instance id starts with this. */
export const LIFECYCLE_INSTANCE_PREFIX = "lifecycle-";

/**
 * The instance of a submission: a hash of source, source key, action and the lower-cased UPN, so the same submission
 * again (a retried webhook, a replayed ticket) lands on the same instance and starts nothing.
 */
export function lifecycleInstanceId(
  submission: Pick<LifecycleSubmission, "source" | "sourceKey" | "action" | "upn">,
): string {
  const key = [submission.source, submission.sourceKey, submission.action, submission.upn.toLowerCase()].join("\n");
  return `${LIFECYCLE_INSTANCE_PREFIX}${createHash("sha256").update(key).digest("hex").slice(0, 40)}`;
}

/** Issuances are keyed by the lifecycle request's public id: a restart of the request resumes the same certificate. */
export function issuanceRequestOf(input: LifecycleInput): IssuanceRequest {
  const upn = assertUpn(input.upn);
  return {
    upn,
    requestId: input.requestId,
    source: input.source,
    sourceId: input.sourceKey,
    actor: input.actor,
    certificateNamePrefix: input.certificateNamePrefix,
    requestedAt: input.requestedAt,
    // An onboarding grants access: it lifts an earlier offboarding, while one accepted at or after it still wins.
    ...(input.action === "onboard" ? { rehire: true, effectiveAt: input.requestedAt } : {}),
  };
}

export function revocationRequestOf(input: LifecycleInput): RevocationRequest {
  return {
    upn: assertUpn(input.upn),
    requestId: input.requestId,
    reason: input.reason ?? `${input.source} ${input.sourceKey}`,
    source: input.source,
    sourceId: input.sourceKey,
    actor: input.actor,
    effectiveAt: input.requestedAt,
    gatewayIds: input.writers.map((w) => w.gatewayId),
  };
}

/** The user's ledger key. */
export function lifecycleUserKey(input: Pick<LifecycleInput, "upn">): string {
  return upnKey(assertUpn(input.upn));
}

/** Whether the action ends with the older certificates revoked (reissue), or leaves them (onboard, renew). */
export function revokesOlder(action: LifecycleAction): boolean {
  return action === "reissue";
}

/** What a lifecycle request returns (public data only; GET /api/v1/requests/{id} picks its fields by name). */
export interface LifecycleOutcome {
  readonly action: LifecycleAction;
  readonly upn: string;
  /** "active"/"revoked" for a new certificate; "offboarded"; "refused" or "stale" when nothing was done. */
  readonly status: "active" | "revoked" | "offboarded" | "refused" | "stale";
  readonly reason?: string;
  /** Set when nothing was done ("refused", "stale"): the request view shows it failed, with the reason. */
  readonly refused?: true;
  readonly certificateName?: string;
  readonly thumbprint?: string;
  readonly serialNumber?: string;
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly linkExpiresAt?: string;
  readonly collected?: boolean;
  /** Offboarding: every thumbprint revoked; reissue: the older certificates revoked. */
  readonly revokedThumbprints?: readonly string[];
  readonly gateways?: number;
}
