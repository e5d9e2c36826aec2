// The Microsoft.Network routes the emulator serves, each named for faults and statistics.
import { route } from "../framework";
import type { EmulatorRequest, EmulatorRoute } from "../framework";
import type { ActionContext, GatewayAction } from "./gateway-actions";
import { ACTION_OPERATION_NAMES, runGatewayAction } from "./gateway-actions";
import { getGateway, getOperationResult, getOperationStatus, listGateways, putGateway } from "./gateway-service";
import { armHandler } from "./http-reply";
import { OPERATION_NAMES } from "./operation";
import type { RequestGates } from "./request-gates";
import type { GatewayRef } from "./resource-id";

const GROUP = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network";
const GATEWAY = `${GROUP}/virtualNetworkGateways/{virtualNetworkGatewayName}` as const;
const LOCATIONS = "/subscriptions/{subscriptionId}/providers/Microsoft.Network/locations/{location}";

interface GatewayParams {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly virtualNetworkGatewayName: string;
}

function refOf(params: GatewayParams): GatewayRef {
  return {
    subscriptionId: params.subscriptionId,
    resourceGroup: params.resourceGroupName,
    name: params.virtualNetworkGatewayName,
  };
}

// Path segments as the SDK sends them; routes match case-insensitively.
const ACTION_PATHS: Record<GatewayAction, string> = {
  getvpnclientconnectionhealth: "getVpnClientConnectionHealth",
  disconnectvirtualnetworkgatewayvpnconnections: "disconnectVirtualNetworkGatewayVpnConnections",
  generatevpnprofile: "generatevpnprofile",
  getvpnprofilepackageurl: "getvpnprofilepackageurl",
};

export function armRoutes(ctx: ActionContext, gates: RequestGates): EmulatorRoute[] {
  const actionRoute = (action: GatewayAction): EmulatorRoute =>
    route({
      method: "POST",
      path: `${GATEWAY}/${ACTION_PATHS[action]}`,
      operation: ACTION_OPERATION_NAMES[action],
      handler: (request: EmulatorRequest) =>
        armHandler(request.apiVersion, (v) =>
          runGatewayAction(ctx, refOf(gatewayParams(request)), v, action, request.body),
        ),
    });
  return [
    route({
      method: "GET",
      path: GATEWAY,
      operation: OPERATION_NAMES.get,
      handler: async (request) => {
        await gates.pass(refOf(request.params), "get");
        return armHandler(request.apiVersion, () =>
          getGateway(ctx, refOf(request.params), headerValue(request, "if-match")),
        );
      },
    }),
    route({
      method: "PUT",
      path: GATEWAY,
      operation: OPERATION_NAMES.put,
      handler: async (request) => {
        await gates.pass(refOf(request.params), "put");
        return armHandler(request.apiVersion, (v) =>
          putGateway(ctx, refOf(request.params), v, request.body, headerValue(request, "if-match")),
        );
      },
    }),
    route({
      method: "GET",
      path: `${GROUP}/virtualNetworkGateways`,
      operation: OPERATION_NAMES.list,
      handler: (request) =>
        armHandler(request.apiVersion, () =>
          listGateways(ctx, request.params.subscriptionId, request.params.resourceGroupName),
        ),
    }),
    actionRoute("getvpnclientconnectionhealth"),
    actionRoute("disconnectvirtualnetworkgatewayvpnconnections"),
    actionRoute("generatevpnprofile"),
    actionRoute("getvpnprofilepackageurl"),
    route({
      method: "GET",
      path: `${LOCATIONS}/operations/{operationId}`,
      operation: OPERATION_NAMES.operationStatus,
      handler: (request) =>
        armHandler(request.apiVersion, () =>
          getOperationStatus(ctx, request.params.subscriptionId, request.params.operationId),
        ),
    }),
    route({
      method: "GET",
      path: `${LOCATIONS}/operationResults/{operationId}`,
      operation: OPERATION_NAMES.operationResult,
      handler: (request) =>
        armHandler(request.apiVersion, () =>
          getOperationResult(ctx, request.params.subscriptionId, request.params.operationId),
        ),
    }),
  ];
}

function gatewayParams(request: EmulatorRequest): GatewayParams {
  const { subscriptionId = "", resourceGroupName = "", virtualNetworkGatewayName = "" } = request.params;
  return { subscriptionId, resourceGroupName, virtualNetworkGatewayName };
}

function headerValue(request: EmulatorRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
