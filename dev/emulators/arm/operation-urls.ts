// Where an operation is polled: Azure-AsyncOperation points at the operation status resource, Location at the
// operation result, both subscription-scoped under the gateway's region as Microsoft.Network writes them.
import type { GatewayOperation } from "./operation";

export function operationStatusUrl(baseUrl: string, operation: GatewayOperation): string {
  return `${baseUrl}/subscriptions/${operation.subscriptionId}/providers/Microsoft.Network/locations/${operation.location}/operations/${operation.id}?api-version=${operation.apiVersion}`;
}

export function operationResultUrl(baseUrl: string, operation: GatewayOperation): string {
  return `${baseUrl}/subscriptions/${operation.subscriptionId}/providers/Microsoft.Network/locations/${operation.location}/operationResults/${operation.id}?api-version=${operation.apiVersion}`;
}

export function operationHeaders(
  baseUrl: string,
  operation: GatewayOperation,
  retryAfterSeconds: number | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {
    "Azure-AsyncOperation": operationStatusUrl(baseUrl, operation),
    Location: operationResultUrl(baseUrl, operation),
  };
  if (retryAfterSeconds !== undefined) headers["Retry-After"] = String(retryAfterSeconds);
  return headers;
}
