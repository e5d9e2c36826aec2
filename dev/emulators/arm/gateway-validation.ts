// Validation of a virtualNetworkGateways PUT body, with ARM-shaped 400s. Codes: VpnClientRootCertificateDataInvalid
// is the gateway's real code (seen in Azure/azure-libraries-for-java#1287); LocationRequired, InvalidRequestFormat
// and DuplicateResourceName follow ARM/Network conventions; the two *LimitExceeded codes and
// InvalidVpnClientRevokedCertificateThumbprint are this emulator's own, plausible names (the real ones are
// undocumented), so callers should branch on the 400 status, not on these exact strings.
import { badRequest } from "./arm-error";
import { MAX_REVOKED_CERTIFICATES, MAX_ROOT_CERTIFICATES } from "./gateway-limits";
import { isJsonObject, objectAt } from "./json";
import type { Json, JsonObject } from "./json";
import { rootCertificateDataProblem } from "./root-certificate-data";

const SHA1_HEX = /^[0-9a-fA-F]{40}$/;

/** Checks a PUT body and returns the writable part to store (read-only fields dropped). Throws ArmError on 400. */
export function validateGatewayBody(body: unknown): JsonObject {
  if (!isJsonObject(body))
    throw badRequest("InvalidRequestFormat", "Cannot parse the request: the body is not a JSON object.");
  const location = body["location"];
  if (typeof location !== "string" || location.trim() === "") {
    throw badRequest("LocationRequired", "The location property is required for this definition.", "location");
  }
  const properties = body["properties"];
  if (!isJsonObject(properties)) {
    throw badRequest("InvalidRequestFormat", "Cannot parse the request: 'properties' must be an object.", "properties");
  }
  const vpnClientConfiguration = properties["vpnClientConfiguration"];
  if (vpnClientConfiguration !== undefined && vpnClientConfiguration !== null) {
    if (!isJsonObject(vpnClientConfiguration)) {
      throw badRequest(
        "InvalidRequestFormat",
        "Cannot parse the request: 'properties.vpnClientConfiguration' must be an object.",
        "properties.vpnClientConfiguration",
      );
    }
    validateRoots(vpnClientConfiguration["vpnClientRootCertificates"]);
    validateRevoked(vpnClientConfiguration["vpnClientRevokedCertificates"]);
  }
  return stripReadOnly(body);
}

function validateRoots(value: Json | undefined): void {
  const path = "properties.vpnClientConfiguration.vpnClientRootCertificates";
  const entries = listAt(value, path);
  if (entries.length > MAX_ROOT_CERTIFICATES) {
    throw badRequest(
      "VpnClientRootCertificatesLimitExceeded",
      `A virtual network gateway can trust at most ${MAX_ROOT_CERTIFICATES} VPN client root certificates; the request has ${entries.length}.`,
      path,
    );
  }
  const names = new Set<string>();
  entries.forEach((entry, index) => {
    const at = `${path}[${index}]`;
    const { name, properties } = childEntry(entry, at, "publicCertData");
    uniqueName(names, name, at);
    const data = properties["publicCertData"];
    if (typeof data !== "string") {
      throw badRequest(
        "InvalidRequestFormat",
        `Cannot parse the request: '${at}.properties.publicCertData' is required.`,
        at,
      );
    }
    const problem = rootCertificateDataProblem(data);
    if (problem !== undefined) {
      throw badRequest(
        "VpnClientRootCertificateDataInvalid",
        `The public certificate data of VPN client root certificate '${name}' ${problem}.`,
        `${at}.properties.publicCertData`,
      );
    }
  });
}

function validateRevoked(value: Json | undefined): void {
  const path = "properties.vpnClientConfiguration.vpnClientRevokedCertificates";
  const entries = listAt(value, path);
  if (entries.length > MAX_REVOKED_CERTIFICATES) {
    throw badRequest(
      "VpnClientRevokedCertificatesLimitExceeded",
      `A virtual network gateway can hold at most ${MAX_REVOKED_CERTIFICATES} revoked VPN client certificates; the request has ${entries.length}.`,
      path,
    );
  }
  const names = new Set<string>();
  entries.forEach((entry, index) => {
    const at = `${path}[${index}]`;
    const { name, properties } = childEntry(entry, at, "thumbprint");
    uniqueName(names, name, at);
    const thumbprint = properties["thumbprint"];
    if (typeof thumbprint !== "string" || !SHA1_HEX.test(thumbprint)) {
      throw badRequest(
        "InvalidVpnClientRevokedCertificateThumbprint",
        `The thumbprint of revoked VPN client certificate '${name}' must be the SHA-1 thumbprint: 40 hexadecimal characters without spaces.`,
        `${at}.properties.thumbprint`,
      );
    }
  });
}

function listAt(value: Json | undefined, path: string): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw badRequest("InvalidRequestFormat", `Cannot parse the request: '${path}' must be an array.`, path);
  return value;
}

/** A child resource entry must be `{ name, properties: { <field> } }`; the field at the top level is a known mistake. */
function childEntry(entry: Json, at: string, field: string): { name: string; properties: JsonObject } {
  if (!isJsonObject(entry))
    throw badRequest("InvalidRequestFormat", `Cannot parse the request: '${at}' must be an object.`, at);
  if (entry[field] !== undefined) {
    throw badRequest(
      "InvalidRequestFormat",
      `Cannot parse the request: '${at}.${field}' is not a property of this resource; it belongs under '${at}.properties.${field}'.`,
      `${at}.${field}`,
    );
  }
  const name = entry["name"];
  if (typeof name !== "string" || name.trim() === "") {
    throw badRequest("InvalidRequestFormat", `Cannot parse the request: '${at}.name' is required.`, `${at}.name`);
  }
  const properties = objectAt(entry, "properties");
  if (properties === undefined) {
    throw badRequest(
      "InvalidRequestFormat",
      `Cannot parse the request: '${at}.properties' is required.`,
      `${at}.properties`,
    );
  }
  return { name, properties };
}

function uniqueName(seen: Set<string>, name: string, at: string): void {
  const key = name.toLowerCase();
  if (seen.has(key)) {
    throw badRequest(
      "DuplicateResourceName",
      `The request has more than one child resource named '${name}'.`,
      `${at}.name`,
    );
  }
  seen.add(key);
}

const TOP_READ_ONLY = ["id", "name", "type", "etag"];
const PROPERTIES_READ_ONLY = ["provisioningState", "resourceGuid", "inboundDnsForwardingEndpoint"];
const CHILD_READ_ONLY = ["id", "etag", "type"];
const CHILD_PROPERTIES_READ_ONLY = ["provisioningState", "privateIPAddress"];

/** The stored copy keeps only what a client may write; ids, etags and states are recomputed on every read. */
function stripReadOnly(body: JsonObject): JsonObject {
  const copy = structuredClone(body);
  for (const key of TOP_READ_ONLY) Reflect.deleteProperty(copy, key);
  const properties = objectAt(copy, "properties");
  if (properties === undefined) return copy;
  for (const key of PROPERTIES_READ_ONLY) Reflect.deleteProperty(properties, key);
  const children = [
    properties["ipConfigurations"],
    objectAt(properties, "vpnClientConfiguration")?.["vpnClientRootCertificates"],
    objectAt(properties, "vpnClientConfiguration")?.["vpnClientRevokedCertificates"],
  ];
  for (const list of children) {
    if (!Array.isArray(list)) continue;
    for (const child of list) {
      if (!isJsonObject(child)) continue;
      for (const key of CHILD_READ_ONLY) Reflect.deleteProperty(child, key);
      const childProperties = objectAt(child, "properties");
      if (childProperties !== undefined) {
        for (const key of CHILD_PROPERTIES_READ_ONLY) Reflect.deleteProperty(childProperties, key);
      }
    }
  }
  return copy;
}
