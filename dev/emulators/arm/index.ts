// The ARM (Microsoft.Network virtualNetworkGateways) emulator's public surface: import from here.
export {
  DEFAULT_OPERATION_DURATION_MS,
  DEFAULT_POLL_RETRY_AFTER_SECONDS,
  startArmEmulator,
} from "./start-arm-emulator";
export type { ConflictForm } from "./conflict";
export type { IfMatchMode } from "./if-match";
export type { GatedRequest, RequestGate } from "./request-gates";
export type { ArmEmulator, ArmEmulatorOptions } from "./start-arm-emulator";
export { DEFAULT_SERVER_ROOT_CN } from "./arm-controls";
export type { ArmEmulatorControls, RunningOperationInfo } from "./arm-controls";
export { buildP2sGateway } from "./p2s-gateway-fixture";
export type { P2sGatewayOptions, VpnClientProtocol } from "./p2s-gateway-fixture";
export type { VpnSessionProtocol, VpnSessionSeed } from "./vpn-session";
export type { OperationFailure } from "./operation";
export { OPERATION_NAMES } from "./operation";
export { MAX_REVOKED_CERTIFICATES, MAX_ROOT_CERTIFICATES } from "./gateway-limits";
export { MIN_API_VERSION } from "./api-version";
export type { Json, JsonObject } from "./json";
