// Activities of lifecycle requests: the user's standing (may this request go ahead?), the revocation of a reissued
// user's older certificates, and the audit of each decision. One ledger side effect each, idempotent.
import { defineActivity } from "./define";
import { services } from "./services";
import type { RevokedCertificates } from "./revocation";
import { isLive } from "../domain/ledger";
import type { LifecycleInput } from "../domain/lifecycle";
import { lifecycleUserKey } from "../domain/lifecycle";
import { issuanceRefusal, staleOffboarding } from "../domain/user-standing";

export interface StandingCheck {
  /** Why nothing is to be done: an offboarded user asks for a certificate, or an offboarding predates a rehire. */
  readonly refusal?: string;
  readonly stale?: boolean;
}

type StandingInput = Pick<LifecycleInput, "action" | "upn" | "requestedAt">;

/**
 * Whether the request may go ahead, decided on the acceptance times: reissue and renew are refused for an offboarded
 * user; an onboarding is refused when an offboarding accepted at or after it is recorded; an offboarding is stale when
 * a later onboarding (rehire) is recorded. A decision that races a later request is settled again by recordIssued.
 */
export const checkLifecycleStanding = defineActivity<StandingInput, StandingCheck>(
  "checkLifecycleStanding",
  async ({ action, upn, requestedAt }) => {
    const standing = await services().ledger.getStanding(lifecycleUserKey({ upn }));
    const at = new Date(requestedAt);
    if (action === "offboard") {
      const stale = staleOffboarding(standing, upn, at);
      return stale === undefined ? {} : { refusal: stale, stale: true };
    }
    const refusal = issuanceRefusal(standing, upn, { rehire: action === "onboard", effectiveAt: at });
    return refusal === undefined ? {} : { refusal };
  },
);

export interface RevokeOlderInput {
  readonly request: Pick<LifecycleInput, "requestId" | "upn" | "requestedAt" | "actor" | "source" | "reason">;
  /** The new certificate, kept. */
  readonly keep: string;
}

/**
 * Marks revoked, in the ledger, every live certificate of the user other than the new one that was requested no later
 * than this request (a later request's certificate is that request's business). The writers then put them on the
 * gateways; the orchestration disables them in Key Vault.
 */
export const revokeOlderCertificates = defineActivity<RevokeOlderInput, RevokedCertificates>(
  "revokeOlderCertificates",
  async ({ request, keep }) => {
    const { ledger } = services();
    const userKey = lifecycleUserKey(request);
    const acceptedAt = new Date(request.requestedAt).getTime();
    const older = (await ledger.listUserCertificates(userKey)).filter(
      (r) =>
        r.certificateName !== keep &&
        (isLive(r) || (r.status === "revoked" && r.revocationReason === reasonOf(request))) &&
        (r.requestedAt === undefined || r.requestedAt.getTime() <= acceptedAt),
    );
    const at = new Date();
    for (const r of older) {
      if (r.status !== "revoked") {
        await ledger.putCertificate({
          ...r,
          status: "revoked",
          revokedAt: at,
          revocationReason: reasonOf(request),
          updatedAt: at,
        });
      }
      await ledger.appendAudit({
        id: `${request.requestId}:revoked:${r.certificateName}`,
        at,
        actor: request.actor,
        action: "certificate.revoked",
        subject: userKey,
        reason: reasonOf(request),
        source: request.source,
        requestId: request.requestId,
        details: { certificateName: r.certificateName, thumbprint: r.thumbprint ?? "", replacedBy: keep },
      });
    }
    return {
      certificateNames: older.map((r) => r.certificateName),
      thumbprints: older.flatMap((r) => (r.thumbprint === undefined ? [] : [r.thumbprint])),
    };
  },
);

function reasonOf(request: RevokeOlderInput["request"]): string {
  return `reissued (${request.requestId})${request.reason === undefined ? "" : `: ${request.reason}`}`;
}

export interface LifecycleAudit {
  readonly request: Pick<
    LifecycleInput,
    "requestId" | "upn" | "actor" | "source" | "sourceKey" | "action" | "ticketId"
  >;
  /** e.g. "request.refused", "request.completed", "request.failed". */
  readonly event: string;
  readonly reason: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/** One decision of a request in the audit table, written once per request and event. */
export const auditLifecycle = defineActivity<LifecycleAudit, null>(
  "auditLifecycle",
  async ({ request, event, reason, details }) => {
    await services().ledger.appendAudit({
      id: `${request.requestId}:${event}`,
      at: new Date(),
      actor: request.actor,
      action: event,
      subject: lifecycleUserKey(request),
      reason,
      source: request.source,
      requestId: request.requestId,
      details: {
        action: request.action,
        sourceKey: request.sourceKey,
        ...(request.ticketId === undefined ? {} : { ticketId: request.ticketId }),
        ...details,
      },
    });
    return null;
  },
);
