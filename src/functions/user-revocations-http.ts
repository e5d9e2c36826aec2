// POST /api/v1/users/{upn}/revocations: offboards a user (revoke everywhere, end sessions). 202 with the request to
// follow; 200 when the same request already completed and nothing is left to revoke; 409 when it predates a rehire.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { z } from "zod";
import { services } from "../activities/services";
import { getConfig } from "../config";
import { startOffboarding } from "../clients/offboarding-start";
import type { RevocationRequest } from "../domain/issuance";
import type { OffboardInput } from "../orchestrations/offboard-user";
import { writerInput } from "../domain/gateway-writer-input";
import { actorLabel } from "./auth/actor";
import { authorize } from "./auth/authorize";
import { effectiveAtSchema, jsonBody, problem, requestIdSchema, upnParam } from "./http-validation";
import { acceptedAnswer, recordInputOf, submitterOf } from "./request-answers";

const revokeBody = z.object({
  requestId: requestIdSchema,
  reason: z.string().trim().min(1).max(256),
  effectiveAt: effectiveAtSchema.optional(),
});

export async function revokeUser(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Certificates.Revoke" });
  if (!caller.ok) return caller.response;
  const submitter = submitterOf(caller.value);
  const upn = upnParam(request);
  if (!upn.ok) return upn.response;
  const body = await jsonBody(request, revokeBody);
  if (!body.ok) return body.response;
  const config = getConfig();
  const client = df.getClient(context);
  const revocation: RevocationRequest = {
    upn: upn.value,
    requestId: body.value.requestId,
    reason: body.value.reason,
    source: "api",
    sourceId: body.value.requestId,
    actor: actorLabel(caller.value),
    // The upstream time when given, else now: compared with the user's rehires, and kept as the offboarding time.
    effectiveAt: new Date(body.value.effectiveAt ?? Date.now()).toISOString(),
    gatewayIds: config.GATEWAY_RESOURCE_IDS,
  };
  const acceptedAt = new Date();
  const input: OffboardInput = {
    request: revocation,
    writers: config.GATEWAY_RESOURCE_IDS.map((id) => writerInput(config, id)),
    record: recordInputOf({ kind: "offboard", upn: upn.value, submitter }, acceptedAt),
  };
  const { ledger } = services();
  const started = await startOffboarding(client, ledger, input);
  if (started.kind === "stale") return problem(409, "Offboarding predates a rehire", started.detail);
  const accepted = {
    instanceId: started.instanceId,
    kind: "offboard",
    upn: upn.value,
    submitter,
    createdAt: acceptedAt,
  } as const;
  if (started.kind === "done") {
    // The same request as the 202 named, and why nothing runs.
    const options = { fresh: false, httpStatus: 200, extra: { detail: started.detail } } as const;
    return acceptedAnswer(request, { ledger, client }, accepted, options);
  }
  return acceptedAnswer(request, { ledger, client }, accepted, { fresh: started.kind !== "existing" });
}

app.http("revokeUser", {
  route: "v1/users/{upn}/revocations",
  methods: ["POST"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: revokeUser,
});
