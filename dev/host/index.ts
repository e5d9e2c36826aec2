// The dev host's public surface: start a host, pick a clock, install the core module stand-in.
export { preloadApp, startHost } from "./host";
export type { DevHost, HostKeys, HostLog, StartHostOptions } from "./host";
export { createRealClock, createVirtualClock, ManualClock } from "./clock";
export { coreApi, coreRegistry, installCoreApi } from "./core-api";
export { WorkerInvoker } from "./invoker";
export type { RpcInvocationResult, RpcInvokeOptions } from "./invoker";
export type * from "./contracts";
