// ALLOWED_UPN_DOMAINS at the edge: an issuance for another domain is refused before anything starts, and the
// refusal is audited with the authenticated caller, so an attempt to get a certificate for a foreign identity leaves a
// trace.
import type { HttpResponseInit, InvocationContext } from "@azure/functions";
import { services } from "../../activities/services";
import type { RequestSource } from "../../domain/ledger";
import { upnKey } from "../../domain/upn";
import type { Upn } from "../../domain/upn";
import { upnDomain, upnDomainRefusal } from "../../domain/upn-domains";
import { problem } from "../http-validation";
import { actorLabel } from "./actor";
import type { Actor } from "./actor";

export interface DomainGateRequest {
  readonly upn: Upn;
  readonly requestId: string;
  readonly source: RequestSource;
  readonly actor: Actor;
}

/** The 403 to answer (after auditing it), or undefined when the UPN's domain is allowed. */
export async function refuseDisallowedDomain(
  request: DomainGateRequest,
  context: Pick<InvocationContext, "invocationId">,
): Promise<HttpResponseInit | undefined> {
  const { config, ledger } = services();
  const refusal = upnDomainRefusal(request.upn, config.ALLOWED_UPN_DOMAINS);
  if (refusal === undefined) return undefined;
  await ledger.appendAudit({
    id: `${request.requestId}:refused:${context.invocationId}`,
    at: new Date(),
    actor: actorLabel(request.actor),
    action: "certificate.refused",
    subject: upnKey(request.upn),
    reason: refusal,
    source: request.source,
    requestId: request.requestId,
    details: { rule: "ALLOWED_UPN_DOMAINS", domain: upnDomain(request.upn) },
  });
  return problem(403, "UPN domain not allowed", refusal);
}
