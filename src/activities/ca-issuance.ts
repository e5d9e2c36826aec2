// Activities of client certificate issuance, one Key Vault or ledger side effect each, all idempotent. The Key Vault
// ones return a CaOutcome, so a failure no retry can fix ends the issuance at once (ca-outcome.ts).
import { defineActivity } from "./define";
import { outcomeOf } from "./ca-outcome";
import type { CaOutcome } from "./ca-outcome";
import { services } from "./services";
import { beginClientCertificate, completeClientCertificate, signClientCertificate } from "../clients/key-vault-ca";
import type {
  ClientCertificateView,
  IssuedClientCertificate,
  PendingClientCertificate,
  RootCa,
} from "../clients/key-vault-ca";
import type { IssuanceRequest } from "../domain/issuance";
import { isOffboarded } from "../domain/user-standing";
import { assertUpn, upnKey } from "../domain/upn";

interface NamedRequest {
  readonly request: IssuanceRequest;
  readonly certificateName: string;
}

export const recordIssuing = defineActivity<NamedRequest, null>(
  "recordIssuing",
  async ({ request, certificateName }) => {
    const { ledger } = services();
    const upn = assertUpn(request.upn);
    const existing = await ledger.getCertificate(upnKey(upn), certificateName);
    if (existing === undefined) {
      await ledger.putCertificate({
        userKey: upnKey(upn),
        upn,
        certificateName,
        status: "issuing",
        requestId: request.requestId,
        source: request.source,
        sourceId: request.sourceId,
        requestedAt: new Date(request.requestedAt),
        updatedAt: new Date(),
      });
    }
    if (request.rehire === true) {
      // The rehire lifts an earlier offboarding; an offboarding effective at or after it still wins.
      const hiredAt = new Date(request.effectiveAt ?? request.requestedAt);
      await ledger.recordHire({ userKey: upnKey(upn), hiredAt, requestId: request.requestId });
    }
    await ledger.appendAudit({
      id: `${request.requestId}:requested`,
      at: new Date(),
      actor: request.actor,
      action: "certificate.requested",
      subject: upnKey(upn),
      reason: request.sourceId,
      source: request.source,
      requestId: request.requestId,
      details: { certificateName },
    });
    return null;
  },
);

export const beginCertificate = defineActivity<
  NamedRequest & { readonly rootThumbprint: string },
  CaOutcome<PendingClientCertificate | IssuedClientCertificate>
>("beginCertificate", ({ request, certificateName, rootThumbprint }) =>
  outcomeOf(() => {
    const { config, keyVault } = services();
    const upn = assertUpn(request.upn);
    return beginClientCertificate(keyVault, config, certificateName, upn, {
      upn: upnKey(upn),
      requestId: request.requestId,
      rootThumbprint,
    });
  }),
);

export const signCertificate = defineActivity<
  { readonly upn: string; readonly csrBase64: string; readonly root: RootCa },
  CaOutcome<{ readonly certificateBase64: string }>
>("signCertificate", ({ upn, csrBase64, root }) =>
  outcomeOf(async () => {
    const { config, keyVault } = services();
    const der = await signClientCertificate(keyVault, config, root, csrBase64, assertUpn(upn), new Date());
    return { certificateBase64: Buffer.from(der).toString("base64") };
  }),
);

export const completeCertificate = defineActivity<
  { readonly certificateName: string; readonly certificateBase64: string; readonly root: RootCa },
  CaOutcome<ClientCertificateView>
>("completeCertificate", ({ certificateName, certificateBase64, root }) =>
  outcomeOf(() => {
    const { keyVault } = services();
    return completeClientCertificate(
      keyVault,
      certificateName,
      new Uint8Array(Buffer.from(certificateBase64, "base64")),
      root,
    );
  }),
);

export const recordIssued = defineActivity<
  NamedRequest & { readonly certificate: ClientCertificateView; readonly rootThumbprint: string },
  { readonly status: "active" | "revoked" }
>("recordIssued", async ({ request, certificateName, certificate, rootThumbprint }) => {
  const { ledger } = services();
  const upn = assertUpn(request.upn);
  const current = await ledger.getCertificate(upnKey(upn), certificateName);
  // A revocation that raced with issuance wins: the record stays revoked, but now carries the thumbprint, so the
  // gateway writers revoke the certificate that was finished after the user left. That includes an offboarding that
  // came before this request reached the ledger (its record was not there to revoke), and one that took effect
  // earlier than this request but arrived later: the user is offboarded unless rehired after it.
  const standing = await ledger.getStanding(upnKey(upn));
  const offboarding = standing.offboarding;
  const lateRevocation = current?.status !== "revoked" && isOffboarded(standing);
  const status = current?.status === "revoked" || lateRevocation ? "revoked" : "active";
  const at = new Date();
  await ledger.putCertificate({
    ...(current ?? {}),
    ...(lateRevocation && offboarding !== undefined
      ? { revokedAt: at, revocationReason: `offboarded (${offboarding.requestId}) while the certificate was issued` }
      : {}),
    userKey: upnKey(upn),
    upn,
    certificateName,
    status,
    requestId: request.requestId,
    source: request.source,
    sourceId: request.sourceId,
    thumbprint: certificate.thumbprint,
    serialNumber: certificate.serialNumber,
    rootThumbprint,
    notBefore: new Date(certificate.notBefore),
    notAfter: new Date(certificate.notAfter),
    // A device-key certificate lives nowhere else: the ledger keeps its public record for listing.
    ...(request.csrPem === undefined ? {} : { certificatePem: certificate.certificatePem }),
    updatedAt: at,
  });
  await ledger.appendAudit({
    id: `${request.requestId}:issued`,
    at: new Date(),
    actor: request.actor,
    action: "certificate.issued",
    subject: upnKey(upn),
    reason: request.sourceId,
    source: request.source,
    requestId: request.requestId,
    details: { certificateName, thumbprint: certificate.thumbprint, notAfter: certificate.notAfter, status },
  });
  if (lateRevocation && offboarding !== undefined) {
    await ledger.appendAudit({
      id: `${offboarding.requestId}:revoked:${certificateName}`,
      at,
      actor: "issueClientCertificate",
      action: "certificate.revoked",
      subject: upnKey(upn),
      reason: offboarding.reason,
      source: request.source,
      requestId: offboarding.requestId,
      details: { certificateName, thumbprint: certificate.thumbprint, late: true },
    });
  }
  return { status };
});
