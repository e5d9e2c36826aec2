// GET /api/v1/requests/{requestId}: an accepted request (issuance, offboarding) as a resource: its kind, user, status,
// current step, and its public result or the reason it failed. 404 alike for an unknown id and one the caller may not
// read, so the answer never tells whether a request exists.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { services } from "../activities/services";
import { instanceSnapshot } from "../clients/request-status";
import { PUBLIC_REQUEST_ID, requestView, stepOf, withDeliveryStep } from "../domain/requests";
import type { RequestRecord } from "../domain/requests";
import { deliveryInstanceId } from "../orchestrations/deliver-certificate";
import { APP_ROLES } from "./auth/actor";
import { authorize } from "./auth/authorize";
import type { AuthNeed } from "./auth/authorize";
import { problem } from "./http-validation";
import type { Validated } from "./http-validation";
import { REQUESTS_ROUTE, RETRY_AFTER_SECONDS, submitterOf } from "./request-answers";

/** Who is asking, as far as reading a request goes. */
interface Reader {
  readonly objectId?: string;
  readonly mayReadAll: boolean;
}

/** Any need a valid token may meet, to learn who a caller without Certificates.Read is (its own requests only). */
const ANY_CALLER: readonly AuthNeed[] = [{ delegatedUser: true }, ...APP_ROLES.map((role) => ({ role }))];

/**
 * Certificates.Read reads every request; any other valid token only those it submitted. authorize() checks one need
 * at a time and names the caller only when one is met, so a caller without Read is named by whichever it meets.
 */
async function authorizeReader(request: HttpRequest): Promise<Validated<Reader>> {
  const reader = await authorize(request, { role: "Certificates.Read" });
  if (reader.ok) return { ok: true, value: { mayReadAll: true } };
  if (reader.response.status !== 403) return reader;
  for (const need of ANY_CALLER) {
    const caller = await authorize(request, need);
    if (caller.ok) return { ok: true, value: { mayReadAll: false, ...submitterOf(caller.value) } };
  }
  return reader;
}

function mayRead(reader: Reader, record: RequestRecord): boolean {
  return reader.mayReadAll || (reader.objectId !== undefined && reader.objectId === record.submitterObjectId);
}

const notFound = (): HttpResponseInit => problem(404, "Not found", "no such request");

export async function getRequest(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const reader = await authorizeReader(request);
  if (!reader.ok) return reader.response;
  const requestId = request.params.requestId ?? "";
  if (!PUBLIC_REQUEST_ID.test(requestId)) return notFound();
  const record = await services().ledger.getRequest(requestId);
  if (record === undefined || !mayRead(reader.value, record)) return notFound();
  const client = df.getClient(context);
  const snapshot = await instanceSnapshot(client, record.instanceId);
  // "awaiting-collection" only once the credential can be read: the delivery's own step says when.
  const delivery =
    record.kind !== "rotation" && snapshot !== undefined && stepOf(snapshot.customStatus) === "awaiting-collection"
      ? await instanceSnapshot(client, deliveryInstanceId(record.instanceId))
      : undefined;
  const view = requestView(record, snapshot === undefined ? undefined : withDeliveryStep(snapshot, delivery));
  const done = view.status === "succeeded" || view.status === "failed";
  return {
    status: 200,
    jsonBody: view,
    headers: done ? {} : { "retry-after": String(RETRY_AFTER_SECONDS[record.kind]) },
  };
}

app.http("getRequest", {
  route: `${REQUESTS_ROUTE}/{requestId}`,
  methods: ["GET"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: getRequest,
});
