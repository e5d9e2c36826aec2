// The Microsoft Graph emulator's public surface: import from here.
export { DEFAULT_VPN_GROUP_ID, startGraphEmulator } from "./start-graph-emulator";
export type { GraphEmulator, GraphEmulatorOptions } from "./start-graph-emulator";
export { CHECK_MEMBER_GROUPS_LIMIT } from "./graph-routes";
export { Directory, DirectoryError } from "./directory";
export type { DirectoryChange, DirectoryChangeKind, DirectoryGroup, DirectoryUser } from "./directory";
export { SubscriptionStore, DIRECTORY_SUBSCRIPTION_MAX_MINUTES, EMULATOR_TENANT_ID } from "./subscriptions";
export type { DeliveryRecord, Subscription } from "./subscriptions";
export { DeltaTokens, DELTA_TOKEN_LIFETIME_MS } from "./delta";
