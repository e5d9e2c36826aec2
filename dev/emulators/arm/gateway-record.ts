// What the emulator keeps per gateway: the last written object (writable fields only) plus the service-owned state.
import type { JsonObject } from "./json";
import type { GatewayRef } from "./resource-id";
import type { VpnSession } from "./vpn-session";

export type ProvisioningState = "Succeeded" | "Updating" | "Failed";

export interface GatewayRecord {
  readonly ref: GatewayRef;
  /** The id with the casing the gateway was created with. */
  readonly id: string;
  resource: JsonObject;
  etag: string;
  readonly resourceGuid: string;
  provisioningState: ProvisioningState;
  readonly sessions: Map<string, VpnSession>;
  /** URL returned by the last generatevpnprofile, answered again by getvpnprofilepackageurl. */
  profileUrl: string | undefined;
}
