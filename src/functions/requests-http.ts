// GET /api/v1/requests/{requestId}: an accepted request (issuance, offboarding) as a resource: its kind, user, status,
// current step, and its public result or the reason it failed. 404 alike for an unknown id and one the caller may not
// read, so the answer never tells whether a request exists.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { services } from "../activities/services";
import { instanceSnapshot } from "../clients/request-status";
import { PUBLIC_REQUEST_ID, requestView } from "../domain/requests";
import type { RequestRecord } from "../domain/requests";
import { problem } from "./http-validation";
import type { Validated } from "./http-validation";
import { REQUESTS_ROUTE, RETRY_AFTER_SECONDS } from "./request-answers";

/** Who is asking, as far as reading a request goes. */
interface Reader {
  readonly objectId?: string;
  readonly mayReadAll: boolean;
}

/** The seam where token validation plugs in: a function key holder may read every request. */
function authorizeRoute(_request: HttpRequest): Promise<Validated<Reader>> {
  return Promise.resolve({ ok: true, value: { mayReadAll: true } });
}

function mayRead(reader: Reader, record: RequestRecord): boolean {
  return reader.mayReadAll || (reader.objectId !== undefined && reader.objectId === record.submitterObjectId);
}

const notFound = (): HttpResponseInit => problem(404, "Not found", "no such request");

export async function getRequest(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const reader = await authorizeRoute(request);
  if (!reader.ok) return reader.response;
  const requestId = request.params.requestId ?? "";
  if (!PUBLIC_REQUEST_ID.test(requestId)) return notFound();
  const record = await services().ledger.getRequest(requestId);
  if (record === undefined || !mayRead(reader.value, record)) return notFound();
  const view = requestView(record, await instanceSnapshot(df.getClient(context), record.instanceId));
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
