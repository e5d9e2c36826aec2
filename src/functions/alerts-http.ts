// GET /api/v1/alerts: the recent alerts, newest first (Gateways.Read). ?limit=1..200 (default 50) and
// ?continuationToken= from the previous page's answer.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { RestError } from "@azure/core-rest-pipeline";
import { alertTable } from "../activities/alert";
import type { AlertPage } from "../clients/alert-table";
import { isTableContinuationToken } from "../domain/table-continuation";
import { authorize } from "./auth/authorize";
import { problem } from "./http-validation";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

const invalidToken = (): HttpResponseInit =>
  problem(400, "Invalid continuationToken", "continuationToken must be the value a previous page answered");

export async function listAlerts(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Gateways.Read" });
  if (!caller.ok) return caller.response;
  const rawLimit = request.query.get("limit");
  const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT || (rawLimit !== null && !/^\d+$/.test(rawLimit))) {
    return problem(400, "Invalid limit", `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  const token = request.query.get("continuationToken") ?? undefined;
  if (token !== undefined && (!/^[A-Za-z0-9+/=_-]{1,2048}$/.test(token) || !isTableContinuationToken(token))) {
    return invalidToken();
  }
  let page: AlertPage;
  try {
    page = await alertTable().listRecent(limit, token);
  } catch (error) {
    // A well-formed token the table service still refuses (keys it never made) is the caller's, not a 500.
    if (token !== undefined && error instanceof RestError && error.statusCode === 400) return invalidToken();
    throw error;
  }
  return {
    status: 200,
    headers: { "cache-control": "no-store" },
    jsonBody: {
      alerts: page.alerts,
      ...(page.continuationToken === undefined ? {} : { continuationToken: page.continuationToken }),
    },
  };
}

app.http("listAlerts", { route: "v1/alerts", methods: ["GET"], authLevel: "function", handler: listAlerts });
