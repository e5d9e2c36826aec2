// How routes that start work answer: the request is recorded in the ledger under its public id and the caller gets
// `{ requestId, status, statusUrl }` with Location and Retry-After. No durable management URL (they carry the
// extension's system key) ever leaves the app: callers follow GET /api/v1/requests/{requestId}.
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { DurableClient } from "durable-functions";
import type { Ledger } from "../clients/ledger";
import { instanceSnapshot } from "../clients/request-status";
import { publicRequestId, requestRecordOf, requestView } from "../domain/requests";
import type { RequestKind, RequestRecordInput } from "../domain/requests";
import { actorLabel } from "./auth/actor";
import type { Actor } from "./auth/actor";
import { FUNCTION_KEY_ACTOR } from "./auth/authorize";

/** Who submitted a request: the audit label, and the token's object id (it may read the request back). */
export interface Submitter {
  readonly label: string;
  readonly objectId?: string;
}

/** A token's caller; a call without a token (API_TOKENS_REQUIRED=false) has no object id of its own to read back by. */
export function submitterOf(actor: Actor): Submitter {
  const label = actorLabel(actor);
  return actor === FUNCTION_KEY_ACTOR ? { label } : { label, objectId: actor.objectId };
}

/** Seconds a caller should wait before polling: an issuance takes seconds, an offboarding waits on gateway writes. */
export const RETRY_AFTER_SECONDS: Record<RequestKind, number> = {
  issue: 5,
  offboard: 15,
  onboard: 5,
  reissue: 5,
  renew: 5,
  // A root rotation waits on gateways for minutes and on users for days.
  rotation: 60,
};

export const REQUESTS_ROUTE = "v1/requests";

/** The request's URL on this app, built from the URL the caller used (same scheme, host and /api prefix). */
export function requestUrl(request: Pick<HttpRequest, "url">, requestId: string): string {
  const url = new URL(request.url);
  const apiRoot = url.pathname.slice(0, url.pathname.indexOf("/v1/") + 1);
  return new URL(`${apiRoot}${REQUESTS_ROUTE}/${requestId}`, url.origin).toString();
}

export interface Accepted {
  readonly instanceId: string;
  readonly kind: RequestKind;
  readonly upn: string;
  readonly submitter: Submitter;
  /** When the request was accepted (its record's createdAt); default: now. */
  readonly createdAt?: Date;
}

/** The record an accepted request's orchestration input carries (the instance writes it first). */
export function recordInputOf(accepted: Omit<Accepted, "instanceId">, createdAt: Date): RequestRecordInput {
  const { submitter } = accepted;
  return {
    kind: accepted.kind,
    upn: accepted.upn,
    submittedBy: submitter.label,
    ...(submitter.objectId === undefined ? {} : { submitterObjectId: submitter.objectId }),
    createdAt: createdAt.toISOString(),
  };
}

export interface AnswerOptions {
  /** The instance was (re)started by this call: it is pending. Else it is read, for a repeat of a running or done one. */
  readonly fresh: boolean;
  /** 200 for a request already done that started nothing; else 202. */
  readonly httpStatus?: 200 | 202;
  readonly extra?: Record<string, string>;
}

/**
 * Records the request (after its instance was started, so every recorded request has one; a repeat keeps the first
 * record; should this write fail, the instance writes the same record itself) and answers with its public id, its
 * status and where to follow it.
 */
export async function acceptedAnswer(
  request: Pick<HttpRequest, "url">,
  { ledger, client }: { readonly ledger: Ledger; readonly client: DurableClient },
  accepted: Accepted,
  options: AnswerOptions,
): Promise<HttpResponseInit> {
  const requestId = publicRequestId(accepted.instanceId);
  const record = await ledger.recordRequest(
    requestRecordOf(accepted.instanceId, recordInputOf(accepted, accepted.createdAt ?? new Date())),
  );
  const status = options.fresh
    ? "pending"
    : requestView(record, await instanceSnapshot(client, accepted.instanceId)).status;
  const statusUrl = requestUrl(request, requestId);
  return {
    status: options.httpStatus ?? 202,
    jsonBody: { requestId, status, statusUrl, ...options.extra },
    headers: { location: statusUrl, "retry-after": String(RETRY_AFTER_SECONDS[accepted.kind]) },
  };
}
