// ARM semantics for virtualNetworkGateways GET, list and PUT, and for the operation status and result resources.
// Handlers take parsed inputs and return an ArmReply or throw ArmError; the routes only translate HTTP.
import { ArmError } from "./arm-error";
import type { ArmReply } from "./arm-reply";
import { refuseBusy } from "./conflict";
import type { ConflictForm } from "./conflict";
import type { GatewayStore } from "./gateway-store";
import { newEtag, normaliseLocation } from "./gateway-store";
import { validateGatewayBody } from "./gateway-validation";
import { gatewayView } from "./gateway-view";
import { checkIfMatch } from "./if-match";
import type { IfMatchMode } from "./if-match";
import { stringAt } from "./json";
import { OPERATION_NAMES, operationStatusBody } from "./operation";
import type { GatewayOperation } from "./operation";
import { operationHeaders, operationResultUrl } from "./operation-urls";
import { requireRadiusSecrets } from "./radius-secrets";
import { gatewayId } from "./resource-id";
import type { GatewayRef } from "./resource-id";
import { rejectExpiredRoots } from "./root-certificate-expiry";

export interface ServiceContext {
  readonly store: GatewayStore;
  readonly baseUrl: () => string;
  /** Retry-After sent with operation headers and polls; undefined leaves polling to the client's own interval. */
  readonly retryAfterSeconds: () => number | undefined;
  /** How a busy gateway refuses a write or an action (conflict.ts). */
  readonly conflictForm: () => ConflictForm;
  /** Whether If-Match is enforced (if-match.ts). */
  readonly ifMatch: () => IfMatchMode;
}

/**
 * GET honours If-Match as HTTP defines it (RFC 9110 13.1.1) when If-Match is enforced. As Microsoft.Network answers,
 * there is no ETag header: the etag is in the body only.
 */
export function getGateway(ctx: ServiceContext, ref: GatewayRef, ifMatch?: string): ArmReply {
  const record = ctx.store.require(ref);
  checkIfMatch(ctx.ifMatch(), ref, ifMatch, record.etag);
  return { status: 200, body: gatewayView(record) };
}

export function listGateways(ctx: ServiceContext, subscriptionId: string, resourceGroup: string): ArmReply {
  return { status: 200, body: { value: ctx.store.list(subscriptionId, resourceGroup).map(gatewayView) } };
}

/** Full-object replace as a long-running operation: 201 on create, 200 on update, Updating until it ends. */
export function putGateway(
  ctx: ServiceContext,
  ref: GatewayRef,
  apiVersion: string,
  body: unknown,
  ifMatch: string | undefined,
): ArmReply {
  const existing = ctx.store.find(ref);
  const stored = validateGatewayBody(body);
  rejectExpiredRoots(stored, existing?.id ?? gatewayId(ref), ctx.store.now());
  requireRadiusSecrets(stored);
  checkIfMatch(ctx.ifMatch(), ref, ifMatch, existing?.etag);
  if (existing !== undefined) {
    const running = ctx.store.occupying(existing, true);
    if (running !== undefined) {
      // Refused: the gateway keeps its object (guess: the answer shows it as it is).
      return refuseBusy(ctx, existing, running, OPERATION_NAMES.put, apiVersion, {
        status: 200,
        body: gatewayView(existing),
      });
    }
    const before = normaliseLocation(stringAt(existing.resource, "location") ?? "");
    const after = normaliseLocation(stringAt(stored, "location") ?? "");
    if (before !== after) {
      throw new ArmError(
        400,
        "InvalidResourceLocation",
        `The resource '${ref.name}' already exists in location '${before}' in resource group '${ref.resourceGroup}'. ` +
          `A resource with the same name cannot be created in location '${after}'.`,
        "location",
      );
    }
  }
  const record = ctx.store.upsert(ref, stored, "Updating");
  const operation = ctx.store.start(record, OPERATION_NAMES.put, apiVersion, {
    succeed: () => {
      record.provisioningState = "Succeeded";
      record.etag = newEtag();
      return { status: 200, body: gatewayView(record) };
    },
    fail: () => {
      record.provisioningState = "Failed";
      record.etag = newEtag();
    },
  });
  return {
    status: existing === undefined ? 201 : 200,
    body: gatewayView(record),
    headers: operationHeaders(ctx.baseUrl(), operation, ctx.retryAfterSeconds()),
  };
}

export function getOperationStatus(ctx: ServiceContext, subscriptionId: string, operationId: string): ArmReply {
  const operation = requireOperation(ctx, subscriptionId, operationId);
  const headers: Record<string, string> = {};
  const retryAfter = ctx.retryAfterSeconds();
  if (operation.status === "InProgress" && retryAfter !== undefined) headers["Retry-After"] = String(retryAfter);
  return { status: 200, body: operationStatusBody(operation), headers };
}

/** 202 while running; then the final result of the original request (or its error). */
export function getOperationResult(ctx: ServiceContext, subscriptionId: string, operationId: string): ArmReply {
  const operation = requireOperation(ctx, subscriptionId, operationId);
  if (operation.status === "InProgress") {
    const headers: Record<string, string> = { Location: operationResultUrl(ctx.baseUrl(), operation) };
    const retryAfter = ctx.retryAfterSeconds();
    if (retryAfter !== undefined) headers["Retry-After"] = String(retryAfter);
    return { status: 202, headers };
  }
  if (operation.error !== undefined) throw new ArmError(400, operation.error.code, operation.error.message);
  const outcome = operation.outcome ?? { status: 204, body: undefined };
  return outcome.body === undefined ? { status: outcome.status } : { status: outcome.status, body: outcome.body };
}

function requireOperation(ctx: ServiceContext, subscriptionId: string, operationId: string): GatewayOperation {
  const operation = ctx.store.operation(operationId);
  if (operation === undefined || operation.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) {
    throw new ArmError(404, "OperationNotFound", `Operation '${operationId}' was not found.`);
  }
  return operation;
}
