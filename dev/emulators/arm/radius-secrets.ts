// RADIUS secrets as Azure treats them: written by a PUT, never returned (not by GET, list or the PUT's own answer:
// spec example VirtualNetworkGatewayUpdate sends radiusServers[].radiusServerSecret and answers without it; the SDK's
// model says the same of radiusServerSecret). A PUT that names a RADIUS server without its secret is refused here:
// whether Azure refuses it or silently clears the stored secret is undocumented, both lose RADIUS for the client
// that sent it, and the error is the harsher, visible one (guess: 400 RadiusServerSecretRequired).
import { badRequest } from "./arm-error";
import { isJsonObject, objectAt, stringAt } from "./json";
import type { JsonObject } from "./json";

const PATH = "properties.vpnClientConfiguration";

/** Throws 400 when RADIUS is configured (single address or a radiusServers entry) without its secret. */
export function requireRadiusSecrets(stored: JsonObject): void {
  const vpn = objectAt(objectAt(stored, "properties") ?? {}, "vpnClientConfiguration");
  if (vpn === undefined) return;
  const address = stringAt(vpn, "radiusServerAddress")?.trim() ?? "";
  if (address !== "" && !hasSecret(vpn)) {
    throw missing(`${PATH}.radiusServerSecret`, address);
  }
  const servers = vpn["radiusServers"];
  if (!Array.isArray(servers)) return;
  servers.forEach((server, index) => {
    if (!isJsonObject(server)) return;
    if (!hasSecret(server)) {
      throw missing(
        `${PATH}.radiusServers[${index}].radiusServerSecret`,
        stringAt(server, "radiusServerAddress") ?? "",
      );
    }
  });
}

/** A copy of `properties` (a gateway's, as GET answers) without any RADIUS secret. */
export function withoutRadiusSecrets(properties: JsonObject): JsonObject {
  const vpn = objectAt(properties, "vpnClientConfiguration");
  if (vpn === undefined) return properties;
  const { radiusServerSecret: _secret, ...rest } = vpn;
  const servers = rest["radiusServers"];
  if (Array.isArray(servers)) {
    rest["radiusServers"] = servers.map((server) => {
      if (!isJsonObject(server)) return server;
      const { radiusServerSecret: _serverSecret, ...kept } = server;
      return kept;
    });
  }
  return { ...properties, vpnClientConfiguration: rest };
}

function hasSecret(obj: JsonObject): boolean {
  return (stringAt(obj, "radiusServerSecret") ?? "") !== "";
}

function missing(target: string, address: string): Error {
  return badRequest(
    "RadiusServerSecretRequired",
    `The RADIUS server secret is required for RADIUS server '${address}' of the VPN client configuration.`,
    target,
  );
}
