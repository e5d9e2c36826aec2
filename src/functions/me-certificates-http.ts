// /api/v1/me/certificates: self-service with a device key. The user's own delegated token is the proof (no function
// key: one handed to every employee would prove nothing); the device sends a PKCS#10 request and keeps its key. The
// certificate names the token's UPN, whatever the request says, and goes through the same issuance orchestration (and
// so every gate in it) as any other.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { z } from "zod";
import { services } from "../activities/services";
import { startOnce } from "../clients/durable-start";
import { getClientCertificate } from "../clients/key-vault-ca";
import { capRefusal } from "../domain/certificate-cap";
import { CertificateRequestRejectedError } from "../domain/client-certificate";
import { MAX_CSR_PEM_CHARS, checkDeviceCsr } from "../domain/device-csr";
import type { IssuanceRequest } from "../domain/issuance";
import { isLive } from "../domain/ledger";
import { keyVaultCertificateName, upnKey } from "../domain/upn";
import { issuanceRefusal } from "../domain/user-standing";
import { ISSUE_CERTIFICATE_ORCHESTRATION } from "../orchestrations/issue-certificate";
import { refuseDisallowedDomain } from "./auth/upn-domain-gate";
import { jsonBody, problem } from "./http-validation";
import { authorizeRoute } from "./me-caller";
import { awaitIssuance } from "./me-certificate-answers";
import { acceptedAnswer, recordInputOf, submitterOf } from "./request-answers";

const body = z.object({ csr: z.string().min(1).max(MAX_CSR_PEM_CHARS) }).strict();

export async function postMyCertificate(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const caller = await authorizeRoute(request);
  if (!caller.ok) return caller.response;
  const { upn, label } = caller.value;
  const parsed = await jsonBody(request, body);
  if (!parsed.ok) return parsed.response;

  let publicKeySha256: string;
  try {
    publicKeySha256 = (await checkDeviceCsr(parsed.value.csr, upn)).publicKeySha256;
  } catch (error) {
    if (error instanceof CertificateRequestRejectedError) return problem(400, "CSR refused", error.message);
    throw error;
  }

  const { config, ledger } = services();
  // Keyed on the user and the device's public key: a retried POST of the same CSR (or another CSR of the same key)
  // addresses the same issuance and never makes a second certificate.
  const requestId = `me-${publicKeySha256.slice(0, 40)}`;
  const foreign = await refuseDisallowedDomain(
    { upn, requestId, source: "self-service", actor: caller.value.actor },
    context,
  );
  if (foreign !== undefined) return foreign;
  const requestedAt = new Date();
  // Offboarded means no new certificate; a user cannot declare their own rehire.
  const standing = await ledger.getStanding(upnKey(upn));
  const offboarded = issuanceRefusal(standing, upn, { rehire: false, effectiveAt: requestedAt });
  if (offboarded !== undefined) return problem(409, "User offboarded", offboarded);

  const certificateName = keyVaultCertificateName(upn, requestId, config.CLIENT_CERT_NAME_PREFIX);
  const records = await ledger.listUserCertificates(upnKey(upn));
  const earlier = records.find((r) => r.certificateName === certificateName);
  const expired = earlier?.notAfter !== undefined && earlier.notAfter.getTime() <= requestedAt.getTime();
  if (earlier !== undefined && (!isLive(earlier) || expired)) {
    const state = expired ? "expired" : earlier.status;
    return problem(
      409,
      "Key already used",
      `this device key's certificate ${earlier.thumbprint ?? ""} is ${state}: make a new key and CSR`,
    );
  }
  const overCap = capRefusal(records, config.MAX_ACTIVE_CERTIFICATES_PER_USER, requestedAt, certificateName);
  if (overCap !== undefined) return problem(409, "Certificate cap reached", overCap);

  const client = df.getClient(context);
  const instanceId = `issue-${certificateName}`;
  const accepted = {
    instanceId,
    kind: "issue" as const,
    upn,
    submitter: submitterOf(caller.value.actor),
    createdAt: requestedAt,
  };
  const input: IssuanceRequest = {
    upn,
    requestId,
    source: "self-service",
    sourceId: requestId,
    actor: label,
    certificateNamePrefix: config.CLIENT_CERT_NAME_PREFIX,
    requestedAt: requestedAt.toISOString(),
    csrPem: parsed.value.csr,
    record: recordInputOf(accepted, requestedAt),
  };
  await startOnce(client, ISSUE_CERTIFICATE_ORCHESTRATION, instanceId, input);
  // Past the wait, the issuance becomes a request resource to follow, like any other.
  return awaitIssuance(client, instanceId, config.SELF_SERVICE_WAIT_MS, () =>
    acceptedAnswer(request, { ledger, client }, accepted, { fresh: false }),
  );
}

export async function listMyCertificates(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorizeRoute(request);
  if (!caller.ok) return caller.response;
  const { ledger, keyVault } = services();
  const records = await ledger.listUserCertificates(upnKey(caller.value.upn));
  const body = await Promise.all(
    records.map(async (r) => {
      // A device-key certificate's public record is in the ledger; a Key Vault-made one is read from the vault.
      const pem =
        r.certificatePem ??
        (r.status === "issuing"
          ? undefined
          : (await getClientCertificate(keyVault, r.certificateName))?.certificatePem);
      return {
        thumbprint: r.thumbprint ?? null,
        serialNumber: r.serialNumber ?? null,
        status: r.status,
        source: r.source,
        notBefore: r.notBefore?.toISOString() ?? null,
        notAfter: r.notAfter?.toISOString() ?? null,
        certificatePem: pem ?? null,
      };
    }),
  );
  return { status: 200, jsonBody: body };
}

app.http("postMyCertificate", {
  route: "v1/me/certificates",
  methods: ["POST"],
  authLevel: "anonymous",
  extraInputs: [df.input.durableClient()],
  handler: postMyCertificate,
});

app.http("listMyCertificates", {
  route: "v1/me/certificates",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listMyCertificates,
});
