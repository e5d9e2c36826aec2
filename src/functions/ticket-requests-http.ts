// POST /api/v1/requests: a helpdesk ticket (ServiceNow, Jira, Logic Apps) asks to onboard a user, offboard them, or
// reissue their certificate. Signed with the shared secret or sent with a Requests.Submit token; idempotent per
// ticket, action and user (the same ticket again answers the same request and starts nothing). Every refusal happens
// before anything starts, and is audited.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { services } from "../activities/services";
import { startLifecycleRequest } from "../clients/lifecycle-start";
import type { LifecycleSubmission } from "../clients/lifecycle-start";
import { callbackUrlOptions } from "../config-callbacks";
import { checkCallbackUrl } from "../domain/callback-url";
import { upnKey } from "../domain/upn";
import type { Upn } from "../domain/upn";
import { upnDomain, upnDomainRefusal } from "../domain/upn-domains";
import { parseJsonText, problem, rawJsonBody } from "./http-validation";
import { acceptedAnswer, REQUESTS_ROUTE } from "./request-answers";
import { authorizeTicketCaller, TICKETING_AUDIT_SUBJECT } from "./ticket-request-auth";
import { TICKET_BODY_MAX_BYTES, ticketRequestSchema } from "./ticket-request-body";
import type { TicketRequest } from "./ticket-request-body";
import type { TicketCaller } from "./ticket-request-auth";

export async function submitTicketRequest(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const raw = await rawJsonBody(request, TICKET_BODY_MAX_BYTES);
  if (!raw.ok) return raw.response;
  const now = new Date();
  const caller = await authorizeTicketCaller(request, raw.value, context, now.getTime());
  if (!caller.ok) return caller.response;

  const body = parseJsonText(raw.value.toString("utf8"), ticketRequestSchema);
  if (!body.ok) {
    const detail = (body.response.jsonBody as { detail: string }).detail;
    await auditRefusal(caller.value, context, { detail }, now);
    return body.response;
  }
  const ticket = body.value;
  const refuse = async (status: number, title: string, detail: string): Promise<HttpResponseInit> => {
    await auditRefusal(caller.value, context, { detail, subject: ticket.upn, ticketId: ticket.ticketId }, now);
    return problem(status, title, detail);
  };
  const { config, ledger } = services();
  if (ticket.callbackUrl !== undefined) {
    const callback = checkCallbackUrl(
      ticket.callbackUrl,
      config.TICKETING_CALLBACK_ALLOWLIST,
      callbackUrlOptions(config),
    );
    if (!callback.ok) return refuse(400, "Invalid request", `callbackUrl: ${callback.reason}`);
  }
  if (ticket.action !== "offboard") {
    const domainRefusal = upnDomainRefusal(ticket.upn, config.ALLOWED_UPN_DOMAINS);
    if (domainRefusal !== undefined) return refuse(403, "UPN domain not allowed", domainRefusal);
  }

  const client = df.getClient(context);
  const started = await startLifecycleRequest(client, submissionOf(ticket, caller.value), now);
  const accepted = {
    instanceId: started.instanceId,
    kind: ticket.action,
    upn: ticket.upn,
    submitter: caller.value.submitter,
    createdAt: now,
  } as const;
  return acceptedAnswer(request, { ledger, client }, accepted, { fresh: started.started });
}

function submissionOf(ticket: TicketRequest, caller: TicketCaller): LifecycleSubmission {
  const said = [
    ticket.requestedBy === undefined ? undefined : `requested by ${ticket.requestedBy}`,
    ticket.ticketCreatedAt === undefined ? undefined : `ticket created ${ticket.ticketCreatedAt}`,
  ].filter((s): s is string => s !== undefined);
  const reason = `${ticket.reason ?? `${ticket.action} ticket ${ticket.ticketId}`}${said.length === 0 ? "" : ` (${said.join(", ")})`}`;
  return {
    source: "ticket",
    sourceKey: ticket.ticketId,
    action: ticket.action,
    upn: ticket.upn,
    actor: caller.submitter.label,
    ...(caller.submitter.objectId === undefined ? {} : { submitterObjectId: caller.submitter.objectId }),
    reason,
    ticketId: ticket.ticketId,
    ...(ticket.lostDevice === true ? { lostDevice: true } : {}),
    ...(ticket.callbackUrl === undefined ? {} : { callbackUrl: ticket.callbackUrl }),
  };
}

/** An authenticated request refused before anything started: audited under the user when known, else ticketing. */
async function auditRefusal(
  caller: TicketCaller,
  context: Pick<InvocationContext, "invocationId">,
  refusal: { readonly detail: string; readonly subject?: Upn; readonly ticketId?: string },
  now: Date,
): Promise<void> {
  const subject = refusal.subject === undefined ? TICKETING_AUDIT_SUBJECT : upnKey(refusal.subject);
  await services().ledger.appendAudit({
    id: `ticket:refused:${context.invocationId}`,
    at: now,
    actor: caller.submitter.label,
    action: "request.refused",
    subject,
    reason: refusal.detail.slice(0, 512),
    source: "ticket",
    details: {
      via: caller.via,
      ...(refusal.ticketId === undefined ? {} : { ticketId: refusal.ticketId }),
      ...(refusal.subject === undefined ? {} : { domain: upnDomain(refusal.subject) }),
    },
  });
}

app.http("submitTicketRequest", {
  route: REQUESTS_ROUTE,
  methods: ["POST"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: submitTicketRequest,
});
