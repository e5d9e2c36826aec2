// The Microsoft Graph emulator's public surface: import from here.
export { DEFAULT_VPN_GROUP_ID, startGraphEmulator } from "./start-graph-emulator";
export type { GraphEmulator, GraphEmulatorOptions } from "./start-graph-emulator";
export { CHECK_MEMBER_GROUPS_LIMIT } from "./graph-routes";
export { Directory, DirectoryError } from "./directory";
export type { DirectoryChange, DirectoryChangeKind, DirectoryGroup, DirectoryUser } from "./directory";
