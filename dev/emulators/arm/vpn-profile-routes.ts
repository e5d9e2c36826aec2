// Downloads of generated VPN profile packages: GET /vpnprofiles/{token}/{gateway}.zip?se=..., no token needed, as Azure
// hands out SAS links to blob storage, and refused once the link has expired (403, as blob storage answers an expired
// SAS). Served as framework control routes (tokenless, uncounted), standing in for that other host.
import { errorResponse, route } from "../framework";
import type { EmulatorRoute } from "../framework";
import { OPERATION_NAMES } from "./operation";
import type { VpnProfileSnapshot } from "./vpn-profile";
import { vpnProfilePackage } from "./vpn-profile-package";
import { serverRootCertificate } from "./server-root";

export function vpnProfilePath(snapshot: VpnProfileSnapshot): string {
  const expiry = new Date(snapshot.expiresAtMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  return `/vpnprofiles/${snapshot.token}/${encodeURIComponent(snapshot.gatewayName)}.zip?sp=r&se=${encodeURIComponent(expiry)}`;
}

export function vpnProfileRoutes(
  profiles: ReadonlyMap<string, VpnProfileSnapshot>,
  now: () => number,
): EmulatorRoute[] {
  return [
    route({
      method: "GET",
      path: "/vpnprofiles/{token}/{file}",
      operation: OPERATION_NAMES.profileDownload,
      handler: async (request) => {
        const snapshot = profiles.get(request.params.token);
        if (snapshot === undefined) return errorResponse(404, "BlobNotFound", "The specified blob does not exist.");
        const at = now();
        if (at >= snapshot.expiresAtMs) {
          return errorResponse(
            403,
            "AuthenticationFailed",
            `Server failed to authenticate the request. Signature not valid in the specified time frame: Start ` +
              `[${new Date(snapshot.generatedAtMs).toUTCString()}] - Expiry [${new Date(snapshot.expiresAtMs).toUTCString()}] - ` +
              `Current [${new Date(at).toUTCString()}]`,
          );
        }
        const der = await serverRootCertificate(snapshot.serverRootCn);
        return { status: 200, body: vpnProfilePackage(snapshot, der), headers: { "content-type": "application/zip" } };
      },
    }),
  ];
}
