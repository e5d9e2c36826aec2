// Long-running operations on a gateway. Each one occupies the gateway from its start until it ends (plus an optional
// tail, since a gateway has been seen to refuse writes just after an operation reported success); while occupied,
// writes and actions get AnotherOperationInProgress.
import type { Json, JsonObject } from "./json";

export const OPERATION_NAMES = {
  get: "virtualNetworkGateways.get",
  list: "virtualNetworkGateways.list",
  put: "virtualNetworkGateways.put",
  operationStatus: "virtualNetworkGateways.operationStatus",
  operationResult: "virtualNetworkGateways.operationResult",
  getVpnclientConnectionHealth: "virtualNetworkGateways.getVpnclientConnectionHealth",
  disconnect: "virtualNetworkGateways.disconnectVirtualNetworkGatewayVpnConnections",
  generateVpnProfile: "virtualNetworkGateways.generateVpnProfile",
  getVpnProfilePackageUrl: "virtualNetworkGateways.getVpnProfilePackageUrl",
  profileDownload: "vpnProfiles.download",
} as const;

export type LongRunningName =
  | typeof OPERATION_NAMES.put
  | typeof OPERATION_NAMES.getVpnclientConnectionHealth
  | typeof OPERATION_NAMES.disconnect
  | typeof OPERATION_NAMES.generateVpnProfile
  | typeof OPERATION_NAMES.getVpnProfilePackageUrl;

export type OperationStatus = "InProgress" | "Succeeded" | "Failed";

export interface OperationFailure {
  code: string;
  message: string;
}

/** What operationResults answers once the operation has ended. */
export interface OperationOutcome {
  status: number;
  body: Json | undefined;
}

export interface GatewayOperation {
  readonly id: string;
  readonly name: LongRunningName;
  readonly gatewayKey: string;
  readonly gatewayId: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly apiVersion: string;
  readonly startedAtMs: number;
  readonly endsAtMs: number;
  /** A request refused for a busy gateway: Failed from the start, it never occupies the gateway. */
  readonly refusal: boolean;
  /** Writes and actions still to be refused once it has ended (the counted conflict tail). */
  tailRefusals: number;
  /** Failure planned at start (from failNextOperation); applied when the operation ends. */
  readonly plannedFailure: OperationFailure | undefined;
  /** Applies the effect on success and returns the final result. */
  readonly succeed: (nowMs: number) => OperationOutcome;
  /** Applies the effect of a failure (a failed PUT leaves the gateway Failed). */
  readonly fail: () => void;
  status: OperationStatus;
  outcome: OperationOutcome | undefined;
  error: OperationFailure | undefined;
}

/**
 * The Azure-AsyncOperation status resource body as Microsoft.Network sends it: bare `{ status }`, with `error` once
 * the operation has failed (no id, name or times, which other providers add).
 */
export function operationStatusBody(operation: GatewayOperation): JsonObject {
  const body: JsonObject = { status: operation.status };
  if (operation.error !== undefined) body["error"] = { code: operation.error.code, message: operation.error.message };
  return body;
}
