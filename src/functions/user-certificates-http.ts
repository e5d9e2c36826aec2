// /api/v1/users/{upn}/certificates: list a user's certificates (public parts only) and request a new one.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { z } from "zod";
import { services } from "../activities/services";
import { getConfig } from "../config";
import { startOnce } from "../clients/durable-start";
import { getClientCertificate } from "../clients/key-vault-ca";
import type { IssuanceRequest } from "../domain/issuance";
import { keyVaultCertificateName, upnKey } from "../domain/upn";
import { issuanceRefusal } from "../domain/user-standing";
import { ISSUE_CERTIFICATE_ORCHESTRATION } from "../orchestrations/issue-certificate";
import { actorLabel } from "./auth/actor";
import { authorize } from "./auth/authorize";
import { refuseDisallowedDomain } from "./auth/upn-domain-gate";
import { effectiveAtSchema, jsonBody, problem, requestIdSchema, upnParam } from "./http-validation";
import { acceptedAnswer, recordInputOf, submitterOf } from "./request-answers";

export async function listUserCertificates(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Certificates.Read" });
  if (!caller.ok) return caller.response;
  const upn = upnParam(request);
  if (!upn.ok) return upn.response;
  const { ledger, keyVault } = services();
  const records = await ledger.listUserCertificates(upnKey(upn.value));
  const body = await Promise.all(
    records.map(async (r) => {
      const kv = r.status === "issuing" ? undefined : await getClientCertificate(keyVault, r.certificateName);
      return {
        thumbprint: r.thumbprint ?? null,
        serialNumber: r.serialNumber ?? null,
        status: r.status,
        notBefore: r.notBefore?.toISOString() ?? null,
        notAfter: r.notAfter?.toISOString() ?? null,
        certificatePem: kv?.certificatePem ?? null,
      };
    }),
  );
  return { status: 200, jsonBody: body };
}

const issueBody = z.object({
  requestId: requestIdSchema,
  reason: z.string().trim().min(1).max(256).optional(),
  /** The user is rehired: lifts an offboarding that took effect before `effectiveAt`. */
  rehire: z.boolean().optional(),
  effectiveAt: effectiveAtSchema.optional(),
});

export async function requestUserCertificate(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Certificates.Issue" });
  if (!caller.ok) return caller.response;
  const submitter = submitterOf(caller.value);
  const upn = upnParam(request);
  if (!upn.ok) return upn.response;
  const body = await jsonBody(request, issueBody);
  if (!body.ok) return body.response;
  const domainRefusal = await refuseDisallowedDomain(
    { upn: upn.value, requestId: body.value.requestId, source: "api", actor: caller.value },
    context,
  );
  if (domainRefusal !== undefined) return domainRefusal;
  const requestedAt = new Date();
  const rehire = body.value.rehire === true;
  const effectiveAt = body.value.effectiveAt === undefined ? requestedAt : new Date(body.value.effectiveAt);
  // Offboarded means no new certificate: refused here, before anything starts, unless the request is a later rehire.
  const standing = await services().ledger.getStanding(upnKey(upn.value));
  const refusal = issuanceRefusal(standing, upn.value, { rehire, effectiveAt });
  if (refusal !== undefined) return problem(409, "User offboarded", refusal);
  const client = df.getClient(context);
  const prefix = getConfig().CLIENT_CERT_NAME_PREFIX;
  const instanceId = `issue-${keyVaultCertificateName(upn.value, body.value.requestId, prefix)}`;
  const accepted = { instanceId, kind: "issue", upn: upn.value, submitter, createdAt: requestedAt } as const;
  // The same request id never starts a second issuance: answer with the existing instance.
  const input: IssuanceRequest = {
    upn: upn.value,
    requestId: body.value.requestId,
    source: "api",
    sourceId: body.value.reason ?? body.value.requestId,
    actor: actorLabel(caller.value),
    certificateNamePrefix: prefix,
    requestedAt: requestedAt.toISOString(),
    ...(rehire ? { rehire } : {}),
    ...(body.value.effectiveAt === undefined ? {} : { effectiveAt: effectiveAt.toISOString() }),
    record: recordInputOf(accepted, requestedAt),
  };
  const outcome = await startOnce(client, ISSUE_CERTIFICATE_ORCHESTRATION, instanceId, input);
  return acceptedAnswer(request, { ledger: services().ledger, client }, accepted, { fresh: outcome !== "existing" });
}

app.http("listUserCertificates", {
  route: "v1/users/{upn}/certificates",
  methods: ["GET"],
  authLevel: "function",
  handler: listUserCertificates,
});

app.http("requestUserCertificate", {
  route: "v1/users/{upn}/certificates",
  methods: ["POST"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: requestUserCertificate,
});
