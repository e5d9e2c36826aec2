// POST /api/v1/users/{upn}/revocations: offboards a user (revoke everywhere, end sessions). 202 with status URLs.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { createHash } from "node:crypto";
import { z } from "zod";
import { getConfig } from "../config";
import { startOnce } from "../clients/durable-start";
import type { RevocationRequest } from "../domain/issuance";
import { upnKey } from "../domain/upn";
import { OFFBOARD_USER_ORCHESTRATION } from "../orchestrations/offboard-user";
import type { OffboardInput } from "../orchestrations/offboard-user";
import { writerInput } from "../domain/gateway-writer-input";
import { jsonBody, requestIdSchema, upnParam } from "./http-validation";

const revokeBody = z.object({
  requestId: requestIdSchema,
  reason: z.string().trim().min(1).max(256),
});

export async function revokeUser(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const upn = upnParam(request);
  if (!upn.ok) return upn.response;
  const body = await jsonBody(request, revokeBody);
  if (!body.ok) return body.response;
  const config = getConfig();
  const client = df.getClient(context);
  const key = createHash("sha256")
    .update(`${upnKey(upn.value)}\n${body.value.requestId}`)
    .digest("hex")
    .slice(0, 32);
  const instanceId = `offboard-${key}`;
  const revocation: RevocationRequest = {
    upn: upn.value,
    requestId: body.value.requestId,
    reason: body.value.reason,
    source: "api",
    sourceId: body.value.requestId,
    actor: "api:function-key",
    gatewayIds: config.GATEWAY_RESOURCE_IDS,
  };
  const input: OffboardInput = {
    request: revocation,
    writers: config.GATEWAY_RESOURCE_IDS.map((id) => writerInput(config, id)),
  };
  await startOnce(client, OFFBOARD_USER_ORCHESTRATION, instanceId, input);
  return client.createCheckStatusResponse(request, instanceId);
}

app.http("revokeUser", {
  route: "v1/users/{upn}/revocations",
  methods: ["POST"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: revokeUser,
});
