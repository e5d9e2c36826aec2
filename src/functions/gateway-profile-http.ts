// GET /api/v1/gateways/{name}/profile: the gateway's current VPN profile package (its manifest) and a short-lived
// read-only link to it (a user-delegation SAS, never an account key).
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { profileBlobs } from "../activities/profile";
import { services } from "../activities/services";
import { readOnlyLink } from "../clients/blob-links";
import { parseGatewayId } from "../clients/gateway";
import { actorLabel } from "./auth/actor";
import { authorize } from "./auth/authorize";

export async function getGatewayProfile(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Gateways.Read" });
  if (!caller.ok) return caller.response;
  const { config } = services();
  const name = request.params.name ?? "";
  const gatewayId = config.GATEWAY_RESOURCE_IDS.find(
    (id) => parseGatewayId(id).name.toLowerCase() === name.toLowerCase(),
  );
  if (gatewayId === undefined) {
    return { status: 404, jsonBody: { error: "gatewayNotFound", message: `no configured gateway is named ${name}` } };
  }
  const { service, store } = profileBlobs();
  const read = await store.readManifest(parseGatewayId(gatewayId).name);
  if (read === undefined) {
    return {
      status: 404,
      jsonBody: { error: "profileNotGenerated", message: "no profile package has been published yet" },
    };
  }
  const { config: _config, ...manifest } = read.manifest;
  const now = new Date();
  // Whole seconds: the SAS's se has no fraction, and the answer must not promise more than the link gives.
  const expiresAt = new Date(Math.floor((now.getTime() + config.PROFILE_LINK_SECONDS * 1000) / 1000) * 1000);
  const url = await readOnlyLink(service, store.containerName, manifest.path, expiresAt, now, {
    contentType: "application/zip",
    contentDisposition: `attachment; filename="${manifest.gateway}-vpnprofile.zip"`,
  });
  context.log(`profile: link to ${manifest.path} for ${actorLabel(caller.value)} until ${expiresAt.toISOString()}`);
  return { status: 200, jsonBody: { ...manifest, url, expiresAt: expiresAt.toISOString() } };
}

app.http("getGatewayProfile", {
  route: "v1/gateways/{name}/profile",
  methods: ["GET"],
  authLevel: "function",
  handler: getGatewayProfile,
});
