// The gateway as GET returns it: the stored object decorated with id, name, type, etag, resourceGuid and
// provisioningState, and child resources (ipConfigurations, root and revoked certificates) given ids, etags and types.
import type { GatewayRecord } from "./gateway-record";
import { isJsonObject, objectAt } from "./json";
import type { Json, JsonObject } from "./json";
import { withoutRadiusSecrets } from "./radius-secrets";
import { GATEWAY_TYPE } from "./resource-id";

export function gatewayView(record: GatewayRecord): JsonObject {
  const resource = structuredClone(record.resource);
  const properties = objectAt(resource, "properties") ?? {};
  const decorate = (list: Json | undefined, segment: string): Json | undefined =>
    Array.isArray(list) ? list.map((child) => decorateChild(record, child, segment)) : list;

  properties["ipConfigurations"] = decorate(properties["ipConfigurations"], "ipConfigurations") ?? [];
  const vpn = objectAt(properties, "vpnClientConfiguration");
  if (vpn !== undefined) {
    vpn["vpnClientRootCertificates"] = decorate(vpn["vpnClientRootCertificates"], "vpnClientRootCertificates") ?? [];
    vpn["vpnClientRevokedCertificates"] =
      decorate(vpn["vpnClientRevokedCertificates"], "vpnClientRevokedCertificates") ?? [];
  }
  const { location = null, tags, properties: _ignored, ...rest } = resource;
  const view: JsonObject = { name: record.ref.name, id: record.id, etag: record.etag, type: GATEWAY_TYPE, location };
  if (tags !== undefined) view["tags"] = tags;
  Object.assign(view, rest);
  view["properties"] = {
    provisioningState: record.provisioningState,
    resourceGuid: record.resourceGuid,
    // Secrets are written, never read back (as in Azure).
    ...withoutRadiusSecrets(properties),
  };
  return view;
}

function decorateChild(record: GatewayRecord, child: Json, segment: string): Json {
  if (!isJsonObject(child)) return child;
  const name = typeof child["name"] === "string" ? child["name"] : "";
  const childProperties = objectAt(child, "properties") ?? {};
  return {
    ...child,
    name,
    id: `${record.id}/${segment}/${name}`,
    etag: record.etag,
    type: `${GATEWAY_TYPE}/${segment}`,
    properties: { provisioningState: record.provisioningState, ...childProperties },
  };
}
