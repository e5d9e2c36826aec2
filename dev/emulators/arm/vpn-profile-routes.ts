// Downloads of generated VPN profile packages: GET /vpnprofiles/{token}/{gateway}.zip, no token needed, as Azure
// hands out SAS links to blob storage. Served as framework control routes (tokenless, uncounted), standing in for
// that other host.
import { errorResponse, route } from "../framework";
import type { EmulatorRoute } from "../framework";
import { OPERATION_NAMES } from "./operation";
import type { VpnProfileSnapshot } from "./vpn-profile";
import { vpnProfilePackage } from "./vpn-profile-package";

export function vpnProfilePath(snapshot: VpnProfileSnapshot): string {
  return `/vpnprofiles/${snapshot.token}/${encodeURIComponent(snapshot.gatewayName)}.zip`;
}

export function vpnProfileRoutes(profiles: ReadonlyMap<string, VpnProfileSnapshot>): EmulatorRoute[] {
  return [
    route({
      method: "GET",
      path: "/vpnprofiles/{token}/{file}",
      operation: OPERATION_NAMES.profileDownload,
      handler: (request) => {
        const snapshot = profiles.get(request.params.token);
        if (snapshot === undefined) return errorResponse(404, "BlobNotFound", "The specified blob does not exist.");
        return { status: 200, body: vpnProfilePackage(snapshot), headers: { "content-type": "application/zip" } };
      },
    }),
  ];
}
