// Activities of client certificate issuance, one Key Vault or ledger side effect each, all idempotent.
import { defineActivity } from "./define";
import { services } from "./services";
import { beginClientCertificate, completeClientCertificate, signClientCertificate } from "../clients/key-vault-ca";
import type {
  ClientCertificateView,
  IssuedClientCertificate,
  PendingClientCertificate,
  RootCa,
} from "../clients/key-vault-ca";
import type { IssuanceRequest } from "../domain/issuance";
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
        updatedAt: new Date(),
      });
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
  PendingClientCertificate | IssuedClientCertificate
>("beginCertificate", ({ request, certificateName, rootThumbprint }) => {
  const { config, keyVault } = services();
  const upn = assertUpn(request.upn);
  return beginClientCertificate(keyVault, config, certificateName, upn, {
    upn: upnKey(upn),
    requestId: request.requestId,
    rootThumbprint,
  });
});

export const signCertificate = defineActivity<
  { readonly upn: string; readonly csrBase64: string; readonly root: RootCa },
  { readonly certificateBase64: string }
>("signCertificate", async ({ upn, csrBase64, root }) => {
  const { config, keyVault } = services();
  const der = await signClientCertificate(keyVault, config, root, csrBase64, assertUpn(upn), new Date());
  return { certificateBase64: Buffer.from(der).toString("base64") };
});

export const completeCertificate = defineActivity<
  { readonly certificateName: string; readonly certificateBase64: string; readonly root: RootCa },
  ClientCertificateView
>("completeCertificate", ({ certificateName, certificateBase64, root }) => {
  const { keyVault } = services();
  return completeClientCertificate(
    keyVault,
    certificateName,
    new Uint8Array(Buffer.from(certificateBase64, "base64")),
    root,
  );
});

export const recordIssued = defineActivity<
  NamedRequest & { readonly certificate: ClientCertificateView; readonly rootThumbprint: string },
  { readonly status: "active" | "revoked" }
>("recordIssued", async ({ request, certificateName, certificate, rootThumbprint }) => {
  const { ledger } = services();
  const upn = assertUpn(request.upn);
  const current = await ledger.getCertificate(upnKey(upn), certificateName);
  // A revocation that raced with issuance wins: the record stays revoked, but now carries the thumbprint, so the
  // gateway writers revoke the certificate that was finished after the user left.
  const status = current?.status === "revoked" ? "revoked" : "active";
  await ledger.putCertificate({
    ...(current ?? {}),
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
    updatedAt: new Date(),
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
  return { status };
});
