// The POST actions on a gateway, each a long-running operation that occupies it: connection health, disconnect,
// profile generation and the last profile's URL. Results come through the operation's Location (final-state-via
// location), so the initial answer is 202 with no body.
import { ArmError, badRequest } from "./arm-error";
import type { ArmReply } from "./arm-reply";
import { refuseBusy } from "./conflict";
import type { GatewayRecord } from "./gateway-record";
import type { ServiceContext } from "./gateway-service";
import { isJsonObject, objectAt, stringAt } from "./json";
import { OPERATION_NAMES } from "./operation";
import type { LongRunningName, OperationOutcome } from "./operation";
import { operationHeaders } from "./operation-urls";
import type { GatewayRef } from "./resource-id";
import { snapshotProfile } from "./vpn-profile";
import type { VpnProfileSnapshot } from "./vpn-profile";
import { healthDetail } from "./vpn-session";

export interface ActionContext extends ServiceContext {
  readonly profiles: Map<string, VpnProfileSnapshot>;
  readonly profileUrl: (snapshot: VpnProfileSnapshot) => string;
  readonly serverRootCn: (record: GatewayRecord) => string;
}

export type GatewayAction =
  | "getvpnclientconnectionhealth"
  | "disconnectvirtualnetworkgatewayvpnconnections"
  | "generatevpnprofile"
  | "getvpnprofilepackageurl";

export const ACTION_OPERATION_NAMES: Record<GatewayAction, LongRunningName> = {
  getvpnclientconnectionhealth: OPERATION_NAMES.getVpnclientConnectionHealth,
  disconnectvirtualnetworkgatewayvpnconnections: OPERATION_NAMES.disconnect,
  generatevpnprofile: OPERATION_NAMES.generateVpnProfile,
  getvpnprofilepackageurl: OPERATION_NAMES.getVpnProfilePackageUrl,
};

export function runGatewayAction(
  ctx: ActionContext,
  ref: GatewayRef,
  apiVersion: string,
  action: GatewayAction,
  body: unknown,
): ArmReply {
  const record = ctx.store.require(ref);
  const succeed = actionEffect(ctx, record, action, body);
  const running = ctx.store.occupying(record, true);
  if (running !== undefined)
    return refuseBusy(ctx, record, running, ACTION_OPERATION_NAMES[action], apiVersion, { status: 202 });
  const operation = ctx.store.start(record, ACTION_OPERATION_NAMES[action], apiVersion, { succeed });
  return { status: 202, headers: operationHeaders(ctx.baseUrl(), operation, ctx.retryAfterSeconds()) };
}

/** Validates the request now (a bad request is a synchronous 400) and returns what the operation does when it ends. */
function actionEffect(
  ctx: ActionContext,
  record: GatewayRecord,
  action: GatewayAction,
  body: unknown,
): (nowMs: number) => OperationOutcome {
  switch (action) {
    case "getvpnclientconnectionhealth":
      return (nowMs) => ({
        status: 200,
        body: { value: [...record.sessions.values()].map((s) => healthDetail(s, nowMs)) },
      });
    case "disconnectvirtualnetworkgatewayvpnconnections": {
      const ids = connectionIdsOf(body);
      return () => {
        // Ids are matched case-insensitively; unknown ids are ignored, as the call is a best-effort disconnect.
        const wanted = new Set(ids.map((id) => id.toLowerCase()));
        for (const id of [...record.sessions.keys()]) {
          if (wanted.has(id.toLowerCase())) record.sessions.delete(id);
        }
        return { status: 200, body: undefined };
      };
    }
    case "generatevpnprofile": {
      const authenticationMethod = authenticationMethodOf(body);
      requireP2sConfiguration(record);
      return (nowMs) => {
        const snapshot = snapshotProfile(record, authenticationMethod, ctx.serverRootCn(record), nowMs);
        ctx.profiles.set(snapshot.token, snapshot);
        record.profileUrl = ctx.profileUrl(snapshot);
        return { status: 200, body: record.profileUrl };
      };
    }
    case "getvpnprofilepackageurl": {
      const url = record.profileUrl;
      if (url === undefined) {
        throw new ArmError(
          404,
          "VpnProfilePackageNotFound",
          `No VPN profile has been generated for virtual network gateway '${record.ref.name}'; call generatevpnprofile first.`,
        );
      }
      return () => ({ status: 200, body: url });
    }
  }
}

function connectionIdsOf(body: unknown): string[] {
  const ids = isJsonObject(body) ? body["vpnConnectionIds"] : undefined;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
    throw badRequest(
      "InvalidRequestFormat",
      "Cannot parse the request: 'vpnConnectionIds' must be an array of connection id strings.",
      "vpnConnectionIds",
    );
  }
  return ids.filter((id): id is string => typeof id === "string");
}

const AUTHENTICATION_METHODS = new Set(["EAPTLS", "EAPMSCHAPv2"]);

function authenticationMethodOf(body: unknown): string {
  if (body === undefined || body === null) return "EAPTLS";
  if (!isJsonObject(body))
    throw badRequest("InvalidRequestFormat", "Cannot parse the request: the body is not a JSON object.");
  const method = stringAt(body, "authenticationMethod") ?? "EAPTLS";
  if (!AUTHENTICATION_METHODS.has(method)) {
    throw badRequest(
      "InvalidRequestFormat",
      `Cannot parse the request: authenticationMethod '${method}' is not one of EAPTLS, EAPMSCHAPv2.`,
      "authenticationMethod",
    );
  }
  return method;
}

function requireP2sConfiguration(record: GatewayRecord): void {
  const vpn = objectAt(objectAt(record.resource, "properties") ?? {}, "vpnClientConfiguration");
  const prefixes = vpn === undefined ? undefined : objectAt(vpn, "vpnClientAddressPool")?.["addressPrefixes"];
  if (!Array.isArray(prefixes) || prefixes.length === 0) {
    throw badRequest(
      "VpnClientConfigurationNotFound",
      `Virtual network gateway '${record.ref.name}' has no point-to-site configuration (vpnClientConfiguration with an address pool).`,
    );
  }
}
