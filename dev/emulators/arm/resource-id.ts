// Gateway resource ids. ARM ids are case-insensitive, so the store keys on a lower-cased id and keeps the casing the
// gateway was created with for output.
export interface GatewayRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const GATEWAY_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworkGateways\/([^/]+)$/i;

export const GATEWAY_TYPE = "Microsoft.Network/virtualNetworkGateways";

export function gatewayId(ref: GatewayRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Network/virtualNetworkGateways/${ref.name}`;
}

export function gatewayKey(ref: GatewayRef): string {
  return gatewayId(ref).toLowerCase();
}

/** Parses a full gateway id; throws a plain Error for ids the control API was given by mistake. */
export function parseGatewayId(id: string): GatewayRef {
  const match = GATEWAY_ID.exec(id.trim());
  if (match === null) throw new Error(`Not a virtualNetworkGateways resource id: ${id}`);
  const [, subscriptionId = "", resourceGroup = "", name = ""] = match;
  return { subscriptionId, resourceGroup, name };
}
