// POST /api/v1/roots/rotations starts a root rotation (202; while one runs, the running one is answered) and
// POST /api/v1/roots/rotations/{requestId}/cancel cancels it until its old root's retirement begins (409 after).
// App role Roots.Rotate. Follow either through GET /api/v1/requests/{requestId} (kind `rotation`, its `step`).
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { z } from "zod";
import { services } from "../activities/services";
import { hasNotEnded } from "../clients/durable-start";
import { instanceSnapshot } from "../clients/request-status";
import { startRootRotation } from "../clients/root-rotation-start";
import { PUBLIC_REQUEST_ID, stepOf } from "../domain/requests";
import { CANCEL_ROTATION_EVENT, mayCancel } from "../domain/rotation-run";
import type { CancelRotation } from "../domain/rotation-run";
import { authorize } from "./auth/authorize";
import { jsonBody, problem } from "./http-validation";
import { acceptedAnswer, requestUrl, submitterOf } from "./request-answers";

export const ROTATIONS_ROUTE = "v1/roots/rotations";

const rotationBody = z.object({ reason: z.string().trim().min(1).max(256) }).strict();
const cancelBody = z.object({ reason: z.string().trim().min(1).max(256) }).strict();

export async function startRotation(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Roots.Rotate" });
  if (!caller.ok) return caller.response;
  const body = await jsonBody(request, rotationBody);
  if (!body.ok) return body.response;
  const submitter = submitterOf(caller.value);
  const client = df.getClient(context);
  const started = await startRootRotation(
    client,
    {
      trigger: "manual",
      actor: submitter.label,
      reason: body.value.reason,
      ...(submitter.objectId === undefined ? {} : { submitterObjectId: submitter.objectId }),
    },
    new Date(),
  );
  return acceptedAnswer(
    request,
    { ledger: services().ledger, client },
    { instanceId: started.instanceId, kind: "rotation", upn: "", submitter },
    // A start while a rotation runs answers that one: `joined` says nothing new started.
    { fresh: started.started, ...(started.started ? {} : { extra: { joined: "true" } }) },
  );
}

export async function cancelRotation(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Roots.Rotate" });
  if (!caller.ok) return caller.response;
  const body = await jsonBody(request, cancelBody);
  if (!body.ok) return body.response;
  const requestId = request.params.requestId ?? "";
  const notFound = problem(404, "Not found", "no such rotation");
  if (!PUBLIC_REQUEST_ID.test(requestId)) return notFound;
  const { ledger } = services();
  const record = await ledger.getRequest(requestId);
  if (record?.kind !== "rotation") return notFound;
  const client = df.getClient(context);
  const snapshot = await instanceSnapshot(client, record.instanceId);
  const running = snapshot !== undefined && hasNotEnded(snapshot.runtimeStatus);
  if (!running) return problem(409, "Rotation ended", "the rotation is not running: there is nothing to cancel");
  const step = stepOf(snapshot.customStatus);
  if (step === "cancelling") return problem(409, "Already cancelling", "the rotation is being cancelled");
  if (!mayCancel(step)) {
    return problem(409, "Too late to cancel", `the rotation is at ${step ?? "?"}: the old root's retirement has begun`);
  }
  const submitter = submitterOf(caller.value);
  const event: CancelRotation = { actor: submitter.label, reason: body.value.reason };
  await client.raiseEvent(record.instanceId, CANCEL_ROTATION_EVENT, event);
  const now = new Date();
  await ledger.appendAudit({
    id: `${requestId}:cancel-requested:${now.toISOString()}`,
    at: now,
    actor: submitter.label,
    action: "rotation.cancel-requested",
    subject: "root",
    reason: body.value.reason,
    source: "rotation",
    requestId,
    details: { step: step ?? "" },
  });
  const statusUrl = requestUrl(request, requestId);
  return {
    status: 202,
    jsonBody: { requestId, status: "running", statusUrl, cancelling: true },
    headers: { location: statusUrl, "retry-after": "15" },
  };
}

app.http("startRootRotation", {
  route: ROTATIONS_ROUTE,
  methods: ["POST"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: startRotation,
});

app.http("cancelRootRotation", {
  route: `${ROTATIONS_ROUTE}/{requestId}/cancel`,
  methods: ["POST"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: cancelRotation,
});
