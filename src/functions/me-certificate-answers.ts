// How POST /api/v1/me/certificates answers once its issuance started: it waits a bounded time (SELF_SERVICE_WAIT_MS)
// for the orchestration, then answers 201 with the certificate, the refusal the orchestration ended with, or 202 with
// the request to follow. Only public text leaves: the failure's first line, never a durable URL or key.
import type { HttpResponseInit } from "@azure/functions";
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

/**
 * Waits up to `waitMs` for the issuance to end and answers its end; past the wait, `pending()` answers (202 with the
 * request to follow, recorded as a request resource).
 */
export async function awaitIssuance(
  client: DurableClient,
  instanceId: string,
  waitMs: number,
  pending: () => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const status = await readStatus(client, instanceId);
    const answer = status === undefined ? undefined : issuanceAnswer(status.runtimeStatus, status.output);
    if (answer !== undefined) return answer;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
  }
  return pending();
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
