// How POST /api/v1/me/certificates answers once its issuance started: it waits a bounded time (SELF_SERVICE_WAIT_MS)
// for the orchestration, then answers 201 with the certificate, the refusal the orchestration ended with, or 202 with
// the request to follow. Only public text leaves: the failure's first line, never a durable URL or key.
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { DurableClient } from "durable-functions";
import { CAP_REACHED } from "../activities/device-issuance";
import type { IssuanceResult } from "../domain/issuance";
import { problem } from "./http-validation";

const POLL_MS = 250;

/** The orchestration's end as the caller sees it; undefined while it runs. */
export function issuanceAnswer(runtimeStatus: string, output: unknown): HttpResponseInit | undefined {
  if (runtimeStatus === "Completed") {
    const result = output as IssuanceResult;
    if (result.status === "revoked" || result.certificatePem === undefined || result.chainPem === undefined) {
      return problem(409, "User offboarded", "the user was offboarded while the certificate was made: it is revoked");
    }
    return {
      status: 201,
      jsonBody: {
        thumbprint: result.thumbprint,
        notAfter: result.notAfter,
        certificatePem: result.certificatePem,
        chainPem: result.chainPem,
      },
    };
  }
  if (runtimeStatus === "Failed" || runtimeStatus === "Terminated" || runtimeStatus === "Canceled") {
    const reason = failureReason(output);
    if (reason.includes(CAP_REACHED)) return problem(409, "Certificate cap reached", reason);
    if (reason.includes("CertificateRequestRejectedError")) return problem(400, "CSR refused", reason);
    // The VPN group gate's refusal ("refused: <why>: ..."): the user may not have VPN access.
    if (/(?:^|: )refused: /.test(reason)) return problem(403, "Issuance refused", reason);
    return problem(409, "Issuance failed", reason);
  }
  return undefined;
}

/** The first line of a failed instance's output, without the framework's prefix (stack lines never leave). */
function failureReason(output: unknown): string {
  const text = typeof output === "string" ? output : "";
  const first = (text.split("\n")[0] ?? "").replace(/^Orchestrator function '[^']*' failed: /, "").trim();
  return first === "" ? "the issuance failed" : first.slice(0, 400);
}

export async function awaitIssuance(
  request: HttpRequest,
  client: DurableClient,
  instanceId: string,
  waitMs: number,
): Promise<HttpResponseInit> {
  const deadline = Date.now() + waitMs;
  let runtimeStatus: string | undefined;
  for (;;) {
    const status = await readStatus(client, instanceId);
    runtimeStatus = status?.runtimeStatus;
    const answer = status === undefined ? undefined : issuanceAnswer(status.runtimeStatus, status.output);
    if (answer !== undefined) return answer;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
  }
  return pendingAnswer(request, instanceId, runtimeStatus);
}

async function readStatus(
  client: DurableClient,
  instanceId: string,
): Promise<{ readonly runtimeStatus: string; readonly output: unknown } | undefined> {
  try {
    const status = await client.getStatus(instanceId, { showInput: false });
    return { runtimeStatus: status.runtimeStatus, output: status.output };
  } catch (error) {
    // Not there yet (a start a moment ago that the backend has not stored): the loop reads again.
    if (error instanceof Error && error.message.includes("HTTP 404")) return undefined;
    throw error;
  }
}

/**
 * 202 with the request to follow. h-req's `acceptedAnswer` (requests as resources) replaces this at merge: it records
 * the request under its public id so GET /api/v1/requests/{requestId} answers for it.
 */
function pendingAnswer(request: HttpRequest, instanceId: string, runtimeStatus: string | undefined): HttpResponseInit {
  const url = new URL(request.url);
  const statusUrl = new URL(`/api/v1/requests/${instanceId}`, url.origin).toString();
  return {
    status: 202,
    jsonBody: { requestId: instanceId, status: runtimeStatus === "Running" ? "running" : "pending", statusUrl },
    headers: { location: statusUrl, "retry-after": "5" },
  };
}
