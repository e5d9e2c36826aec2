// Requests as resources: the public id of an accepted request and the view GET /api/v1/requests/{id} answers, read
// from the ledger's record of the request and the durable instance's status. Pure: no I/O.
import { createHash } from "node:crypto";

export const REQUEST_KINDS = ["issue", "offboard", "onboard", "reissue", "renew", "rotation"] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export type RequestStatus = "pending" | "running" | "succeeded" | "failed";

/** What the ledger keeps per request: what GET needs and the durable status does not hold. */
export interface RequestRecord {
  readonly requestId: string;
  /** The durable instance; never answered (the id the app hands out is `requestId`). */
  readonly instanceId: string;
  readonly kind: RequestKind;
  readonly upn: string;
  /** The submitter's audit label (an actor label, or "api:function-key" for a key holder). */
  readonly submittedBy: string;
  /** The submitting token's object id: it may read the request without Certificates.Read. */
  readonly submitterObjectId?: string;
  readonly createdAt: Date;
}

/**
 * A request's record as its orchestration's input carries it (JSON: the time as ISO text). The instance writes it as
 * its first step, so a started request always gets its record even when the start path's own write of it failed.
 */
export interface RequestRecordInput {
  readonly kind: RequestKind;
  readonly upn: string;
  readonly submittedBy: string;
  readonly submitterObjectId?: string;
  readonly createdAt: string;
}

/** The record of the request that runs as `instanceId` (its public id derives from the instance id). */
export function requestRecordOf(instanceId: string, input: RequestRecordInput): RequestRecord {
  return {
    requestId: publicRequestId(instanceId),
    instanceId,
    kind: input.kind,
    upn: input.upn,
    submittedBy: input.submittedBy,
    ...(input.submitterObjectId === undefined ? {} : { submitterObjectId: input.submitterObjectId }),
    createdAt: new Date(input.createdAt),
  };
}

/** The parts of a durable instance status the view reads. */
export interface InstanceSnapshot {
  readonly runtimeStatus: string;
  readonly customStatus: unknown;
  readonly output: unknown;
  readonly lastUpdatedTime?: Date;
}

export interface RequestView {
  readonly requestId: string;
  readonly kind: RequestKind;
  readonly upn: string;
  readonly status: RequestStatus;
  readonly step: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly result?: Readonly<Record<string, unknown>>;
  readonly error?: string;
}

/** The public id: 128 bits of a hash of the instance id, so a repeated idempotent request answers the same id. */
export function publicRequestId(instanceId: string): string {
  return createHash("sha256").update(`p2s-lifecycle request\n${instanceId}`).digest("hex").slice(0, 32);
}

export const PUBLIC_REQUEST_ID = /^[0-9a-f]{32}$/;

/** The steps the orchestrations name in their custom status (a plain string, or `{ step }`). */
export function stepOf(customStatus: unknown): string | null {
  if (typeof customStatus === "string" && customStatus !== "") return customStatus;
  if (typeof customStatus === "object" && customStatus !== null) {
    const step = (customStatus as { step?: unknown }).step;
    if (typeof step === "string" && step !== "") return step;
  }
  return null;
}

/** What a request that has planned its delivery shows until the delivery itself waits for collection. */
export const PREPARING_DELIVERY_STEP = "preparing-delivery";

/**
 * A lifecycle request says "awaiting-collection" as soon as it has planned the delivery, before the delivery has made
 * the package and opened the credential. A reader who sees that step must find the credential ready, so until the
 * delivery (its sub-orchestration, `delivery`: undefined when not yet started) is past "preparing", it shows
 * PREPARING_DELIVERY_STEP.
 */
export function withDeliveryStep(request: InstanceSnapshot, delivery: InstanceSnapshot | undefined): InstanceSnapshot {
  if (stepOf(request.customStatus) !== "awaiting-collection") return request;
  const deliveryStep = delivery === undefined ? null : stepOf(delivery.customStatus);
  if (deliveryStep !== null && deliveryStep !== "preparing") return request;
  const custom = typeof request.customStatus === "object" && request.customStatus !== null ? request.customStatus : {};
  return { ...request, customStatus: { ...custom, step: PREPARING_DELIVERY_STEP } };
}

const MAX_ERROR_CHARS = 300;

/** The reason of a failed instance: its message's first line, without the framework's prefix, bounded. */
export function shortReason(output: unknown): string {
  const text =
    typeof output === "string" ? output : output === null || output === undefined ? "" : JSON.stringify(output);
  const first = (text.split("\n")[0] ?? "").replace(/^Orchestrator function '[^']*' failed: /, "").trim();
  const reason = first === "" ? "the request failed" : first;
  return reason.length > MAX_ERROR_CHARS ? `${reason.slice(0, MAX_ERROR_CHARS - 1)}…` : reason;
}

function pick(output: unknown, fields: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  if (typeof output !== "object" || output === null) return picked;
  for (const field of fields) {
    const value = (output as Record<string, unknown>)[field];
    const publicValue =
      typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? value
        : Array.isArray(value) && value.every((v) => typeof v === "string")
          ? value
          : undefined;
    if (publicValue !== undefined) picked[field] = publicValue;
  }
  return picked;
}

/** Public fields only, by name: whatever else an output carries never reaches an answer. */
const CERTIFICATE_FIELDS = ["certificateName", "thumbprint", "serialNumber", "notBefore", "notAfter"] as const;
/** Lifecycle requests (ticketing, HR, Entra ID, renewal) add the delivery link's expiry and what they revoked. */
const DELIVERED_FIELDS = [...CERTIFICATE_FIELDS, "status", "linkExpiresAt", "collected", "revokedThumbprints"] as const;
const RESULT_FIELDS: Record<RequestKind, readonly string[]> = {
  issue: CERTIFICATE_FIELDS,
  offboard: ["revokedThumbprints", "gateways"],
  onboard: DELIVERED_FIELDS,
  reissue: DELIVERED_FIELDS,
  renew: DELIVERED_FIELDS,
  // A root rotation (issue 14): its end, the roots it moved and how many users it reissued.
  rotation: [
    "status",
    "reissued",
    "collected",
    "oldRootName",
    "oldRootThumbprint",
    "newRootName",
    "newRootThumbprint",
    "reason",
  ],
};

/**
 * A completed instance whose output says it did not do what was asked: a refusal (`{ refused: true, reason }`, or a
 * `status` of "refused"/"failed"), or an issuance whose certificate was revoked as it was made (offboarded meanwhile).
 */
function refusalOf(kind: RequestKind, output: unknown): string | undefined {
  if (typeof output !== "object" || output === null) return undefined;
  const o = output as { refused?: unknown; status?: unknown; reason?: unknown; error?: unknown };
  const said = typeof o.reason === "string" ? o.reason : typeof o.error === "string" ? o.error : undefined;
  if (o.refused === true || o.status === "refused" || o.status === "failed") return shortReason(said ?? "refused");
  if (kind !== "offboard" && o.status === "revoked") {
    return "the user was offboarded while the certificate was being made: it is revoked";
  }
  return undefined;
}

/** A runtime status other than "Completed": Running, ContinuedAsNew, Suspended and any status not named here run. */
function statusOf(runtimeStatus: string): RequestStatus {
  switch (runtimeStatus) {
    case "Pending":
      return "pending";
    case "Failed":
    case "Terminated":
    case "Canceled":
      return "failed";
    default:
      return "running";
  }
}

/** The answer to GET /api/v1/requests/{id}; `snapshot` undefined when the durable status is gone (purged). */
export function requestView(record: RequestRecord, snapshot: InstanceSnapshot | undefined): RequestView {
  const base = {
    requestId: record.requestId,
    kind: record.kind,
    upn: record.upn,
    createdAt: record.createdAt.toISOString(),
  };
  if (snapshot === undefined) {
    return {
      ...base,
      status: "failed",
      step: null,
      updatedAt: base.createdAt,
      error: "the request's status is no longer held",
    };
  }
  const updatedAt = (snapshot.lastUpdatedTime ?? record.createdAt).toISOString();
  const step = stepOf(snapshot.customStatus);
  const view = { ...base, step, updatedAt };
  if (snapshot.runtimeStatus === "Completed") {
    const result = pick(snapshot.output, RESULT_FIELDS[record.kind]);
    const withResult = Object.keys(result).length === 0 ? {} : { result };
    const refusal = refusalOf(record.kind, snapshot.output);
    return refusal === undefined
      ? { ...view, status: "succeeded", ...withResult }
      : { ...view, status: "failed", ...withResult, error: refusal };
  }
  const status = statusOf(snapshot.runtimeStatus);
  if (status !== "failed") return { ...view, status };
  const error =
    snapshot.runtimeStatus === "Failed" ? shortReason(snapshot.output) : `terminated: ${shortReason(snapshot.output)}`;
  return { ...view, status, error };
}
