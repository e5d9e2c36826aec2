// The singleton writer's instance id for a gateway: stable, readable, and unique per resource id.
import { createHash } from "node:crypto";

export const GATEWAY_WRITER_PREFIX = "gateway-writer-";

export function gatewayWriterInstanceId(gatewayId: string): string {
  const hash = createHash("sha256").update(gatewayId.toLowerCase()).digest("hex").slice(0, 16);
  // The last segment of the resource id (all of it when it has no slash).
  const name = gatewayId.slice(gatewayId.lastIndexOf("/") + 1);
  return `${GATEWAY_WRITER_PREFIX}${name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 40)}-${hash}`;
}
