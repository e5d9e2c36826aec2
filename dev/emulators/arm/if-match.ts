// If-Match on the gateway. The virtualNetworkGateways spec declares no If-Match parameter; the network provider
// enforces it on other resources (load balancers), unconfirmed for gateways. "enforced" (default) answers a stale
// ETag with 412; "ignored" accepts any If-Match, so a client cannot rely on it to protect a concurrent edit.
import { ArmError } from "./arm-error";
import type { GatewayRef } from "./resource-id";

export type IfMatchMode = "enforced" | "ignored";
export const IF_MATCH_MODES: readonly IfMatchMode[] = ["enforced", "ignored"];

/** Throws 412 when `mode` enforces If-Match and `ifMatch` names neither `etag` (undefined: no resource) nor `*`. */
export function checkIfMatch(
  mode: IfMatchMode,
  ref: GatewayRef,
  ifMatch: string | undefined,
  etag: string | undefined,
): void {
  if (mode === "ignored" || ifMatch === undefined || ifMatch === "*" || ifMatch === etag) return;
  throw new ArmError(
    412,
    "PreconditionFailed",
    `The If-Match condition does not match the current etag of virtual network gateway '${ref.name}'.`,
  );
}
