// How a busy gateway refuses a write or an action. Azure mostly accepts the request and then ends its operation
// Failed with AnotherOperationInProgress (Azure/bicep#5132); a synchronous 409 is also seen (azure-rest-api-specs
// #14473). The emulator answers the first way by default and the second on request.
import { ArmError } from "./arm-error";
import type { ArmReply } from "./arm-reply";
import type { GatewayRecord } from "./gateway-record";
import type { ServiceContext } from "./gateway-service";
import type { GatewayOperation, LongRunningName } from "./operation";
import { operationHeaders, operationStatusUrl } from "./operation-urls";

/** "failedOperation" (default): accepted, then the operation ends Failed. "synchronous": 409 at once. */
export type ConflictForm = "failedOperation" | "synchronous";
export const CONFLICT_FORMS: readonly ConflictForm[] = ["failedOperation", "synchronous"];

export function anotherOperationInProgress(baseUrl: string, running: GatewayOperation): ArmError {
  return new ArmError(409, "AnotherOperationInProgress", conflictMessage(baseUrl, running));
}

/**
 * The refusal of a request that met `running` on the gateway: a 409 thrown, or an accepted request (`status`, with
 * `body` for a PUT) whose operation has already ended Failed, changing nothing and occupying nothing.
 */
export function refuseBusy(
  ctx: ServiceContext,
  record: GatewayRecord,
  running: GatewayOperation,
  name: LongRunningName,
  apiVersion: string,
  accepted: { status: number; body?: ArmReply["body"] },
): ArmReply {
  if (ctx.conflictForm() === "synchronous") throw anotherOperationInProgress(ctx.baseUrl(), running);
  const failure = { code: "AnotherOperationInProgress", message: conflictMessage(ctx.baseUrl(), running) };
  const refused = ctx.store.refuse(record, name, apiVersion, failure);
  return {
    status: accepted.status,
    ...(accepted.body === undefined ? {} : { body: accepted.body }),
    headers: operationHeaders(ctx.baseUrl(), refused, ctx.retryAfterSeconds()),
  };
}

function conflictMessage(baseUrl: string, running: GatewayOperation): string {
  return (
    `Another operation on this or dependent resource is in progress: ${running.name} (${running.id}) on ` +
    `${running.gatewayId}, status ${running.status}. To retrieve status of the operation use uri: ` +
    `${operationStatusUrl(baseUrl, running)}.`
  );
}
