// The local durable task hub for the embedded dev host.
export { createDurableBackend } from "./backend";
export type { InstanceSnapshot, LocalDurableBackend } from "./backend";
export { DURABLE_API_PREFIX } from "./client-binding";
export type { RuntimeStatus } from "./instance";
