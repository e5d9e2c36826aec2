// The emulator framework's public surface: import from here, not from the files behind it.
export { createEmulatorCa, EmulatorCa } from "./ca";
export type { EmulatorCaOptions } from "./ca";
export { createVirtualClock, seededRandom, systemClock } from "./clock";
export type { EmulatorClock, VirtualClock } from "./clock";
export { DEFAULT_TENANT_ID } from "./auth";
export type { EmulatorAuth } from "./auth";
export { faultRuleSchema } from "./faults";
export type { EmulatorFaults, FaultRule, FaultRuleInput } from "./faults";
export { EmulatorError, emptyResponse, errorResponse, jsonResponse } from "./responses";
export type { AzureErrorDetail, EmulatorResponse, ErrorOptions } from "./responses";
export { route } from "./routes";
export type { EmulatorRequest, EmulatorRoute, HttpMethod, PathParams, RouteDefinition } from "./routes";
export { startEmulator, UNMATCHED_OPERATION } from "./server";
export type { Emulator, EmulatorOptions, ResponseContext } from "./server";
export type { EmulatorStats, OperationStats } from "./stats";
export type { EmulatorThrottles, ThrottleRule } from "./throttle";
