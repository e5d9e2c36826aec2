// The 409 a busy gateway answers. The message names the running operation and where to poll it, as ARM does.
import { ArmError } from "./arm-error";
import type { GatewayOperation } from "./operation";
import { operationStatusUrl } from "./operation-urls";

export function anotherOperationInProgress(baseUrl: string, running: GatewayOperation): ArmError {
  return new ArmError(
    409,
    "AnotherOperationInProgress",
    `Another operation on this or dependent resource is in progress: ${running.name} (${running.id}) on ` +
      `${running.gatewayId}, status ${running.status}. To retrieve status of the operation use uri: ` +
      `${operationStatusUrl(baseUrl, running)}.`,
  );
}
