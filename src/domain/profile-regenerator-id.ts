// The singleton profile regenerator's instance id for a gateway: stable, readable, and unique per resource id.
import { createHash } from "node:crypto";

export const PROFILE_REGENERATOR_PREFIX = "profile-regenerator-";

export function profileRegeneratorInstanceId(gatewayId: string): string {
  const hash = createHash("sha256").update(gatewayId.toLowerCase()).digest("hex").slice(0, 16);
  // The last segment of the resource id (all of it when it has no slash), made safe.
  const name = gatewayId
    .slice(gatewayId.lastIndexOf("/") + 1)
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 40);
  return `${PROFILE_REGENERATOR_PREFIX}${name}-${hash}`;
}

/** What the regenerator tells through its custom status: the trigger reads `state` to fold events into a wait. */
export type RegeneratorState = "debouncing" | "regenerating" | "settling";
