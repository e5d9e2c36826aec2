// Who may submit a ticket request, on top of the function key: a ticketing tool that signs the raw body with the shared
// secret (HMAC-SHA256, X-Request-Timestamp and X-Signature-256; the current or the previous secret during a rotation),
// or an Entra ID token holding Requests.Submit. A refused signature is audited (never the body or a secret).
import { createHash } from "node:crypto";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { services } from "../activities/services";
import type { Config } from "../config";
import { checkSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../domain/request-signature";
import { actorLabel } from "./auth/actor";
import { authorize } from "./auth/authorize";
import { problem } from "./http-validation";
import type { Validated } from "./http-validation";
import { submitterOf } from "./request-answers";
import type { Submitter } from "./request-answers";

/** The partition ticket refusals are audited under: no user is trusted before the signature is. */
export const TICKETING_AUDIT_SUBJECT = "ticketing";

export interface TicketCaller {
  readonly submitter: Submitter;
  /** "signature" or "token": which way in. */
  readonly via: "signature" | "token";
}

/** Whether the caller chose the signature way in: either signature header present. */
export function isSigned(request: Pick<HttpRequest, "headers">): boolean {
  return request.headers.get(TIMESTAMP_HEADER) !== null || request.headers.get(SIGNATURE_HEADER) !== null;
}

/** The accepted secrets: the current one, and the previous one while a rotation is under way. */
export function ticketSecrets(
  config: Pick<Config, "TICKETING_SHARED_SECRET" | "TICKETING_SHARED_SECRET_PREVIOUS">,
): string[] {
  return [config.TICKETING_SHARED_SECRET, config.TICKETING_SHARED_SECRET_PREVIOUS].filter(
    (s): s is string => s !== undefined,
  );
}

/**
 * A signed request is checked on the bytes as received; an unsigned one needs a token with Requests.Submit. A request
 * with neither is refused: the function key alone never submits (whatever API_TOKENS_REQUIRED says).
 */
export async function authorizeTicketCaller(
  request: HttpRequest,
  rawBody: Buffer,
  context: Pick<InvocationContext, "invocationId">,
  nowMs: number,
): Promise<Validated<TicketCaller>> {
  if (isSigned(request)) return checkSigned(request, rawBody, context, nowMs);
  const header = request.headers.get("authorization");
  if (header === null || header.trim() === "") {
    const detail = `sign the request (${TIMESTAMP_HEADER}, ${SIGNATURE_HEADER}) or send an Entra ID access token with Requests.Submit`;
    return { ok: false, response: withChallenge(problem(401, "Unauthorized", detail)) };
  }
  const caller = await authorize(request, { role: "Requests.Submit" });
  if (!caller.ok) return caller;
  const submitter = submitterOf(caller.value);
  return {
    ok: true,
    value: { submitter: { ...submitter, label: `ticket:${actorLabel(caller.value)}` }, via: "token" },
  };
}

async function checkSigned(
  request: HttpRequest,
  rawBody: Buffer,
  context: Pick<InvocationContext, "invocationId">,
  nowMs: number,
): Promise<Validated<TicketCaller>> {
  const secrets = ticketSecrets(services().config);
  const timestamp = request.headers.get(TIMESTAMP_HEADER);
  const check =
    secrets.length === 0
      ? ({ ok: false, reason: "unconfigured" } as const)
      : checkSignature(secrets, timestamp, request.headers.get(SIGNATURE_HEADER), rawBody, nowMs);
  if (check.ok) {
    const which = check.secretIndex === 0 ? "current" : "previous";
    return { ok: true, value: { submitter: { label: `ticket:signed (${which} secret)` }, via: "signature" } };
  }
  await services().ledger.appendAudit({
    id: `ticket:refused:${context.invocationId}`,
    at: new Date(nowMs),
    actor: "ticket:signed",
    action: "request.refused",
    subject: TICKETING_AUDIT_SUBJECT,
    reason: `signature ${check.reason}`,
    source: "ticket",
    // What identifies the attempt without repeating it: its size, a digest and the timestamp it claimed.
    details: {
      rule: "signature",
      bodyBytes: rawBody.length,
      bodySha256: createHash("sha256").update(rawBody).digest("hex"),
      timestamp: (timestamp ?? "").slice(0, 20),
    },
  });
  return { ok: false, response: withChallenge(problem(401, "Unauthorized", signatureDetail(check.reason))) };
}

function signatureDetail(reason: "missing" | "malformed" | "stale" | "mismatch" | "unconfigured"): string {
  switch (reason) {
    case "missing":
      return `the request needs both ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER}`;
    case "malformed":
      return `${TIMESTAMP_HEADER} must be unix seconds and ${SIGNATURE_HEADER} sha256=<64 hex>`;
    case "stale":
      return `${TIMESTAMP_HEADER} is more than 5 minutes from the server's clock`;
    case "mismatch":
      return "the signature does not match the body";
    case "unconfigured":
      return "signed ticket requests are not accepted: no shared secret is configured";
  }
}

function withChallenge(response: HttpResponseInit): HttpResponseInit {
  return { ...response, headers: { ...(response.headers as Record<string, string>), "www-authenticate": "Bearer" } };
}
