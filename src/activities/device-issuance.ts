// Activities of issuance that are not Key Vault certificate operations: the per-user cap (every issuance) and the
// device-key certificate (self-service), built on the device's CSR and signed by the root through keys/sign. Key Vault
// keeps nothing of a device-key certificate: the ledger holds its public record, offboarding revokes its thumbprint.
import { defineActivity } from "./define";
import { outcomeOf } from "./ca-outcome";
import type { CaOutcome } from "./ca-outcome";
import { services } from "./services";
import { signClientCertificate } from "../clients/key-vault-ca";
import { viewOf } from "../clients/ca-client-issuance";
import type { ClientCertificateView, RootCa } from "../clients/key-vault-ca";
import { capRefusal } from "../domain/certificate-cap";
import { describeCertificate } from "../domain/certificate-info";
import { checkDeviceCsr } from "../domain/device-csr";
import type { IssuanceRequest } from "../domain/issuance";
import { derToPem, fromGatewayCertData, pemToDer, toBase64 } from "../domain/pem";
import { assertUpn, upnKey } from "../domain/upn";

/** The terminal error name the edge maps to 409. */
export const CAP_REACHED = "CertificateCapReached";

/**
 * Refuses an issuance that would take the user past MAX_ACTIVE_CERTIFICATES_PER_USER, audited. Read-only otherwise,
 * so a retry is harmless; a retry of an issuance already recorded goes on (it was counted when it began).
 */
export const checkCertificateCap = defineActivity<
  { readonly request: IssuanceRequest; readonly certificateName: string },
  CaOutcome<null>
>("checkCertificateCap", async ({ request, certificateName }) => {
  const { config, ledger } = services();
  const userKey = upnKey(assertUpn(request.upn));
  const records = await ledger.listUserCertificates(userKey);
  const refusal = capRefusal(records, config.MAX_ACTIVE_CERTIFICATES_PER_USER, new Date(), certificateName);
  if (refusal === undefined) return { terminal: false, value: null };
  await ledger.appendAudit({
    id: `${request.requestId}:refused:cap`,
    at: new Date(),
    actor: request.actor,
    action: "certificate.refused",
    subject: userKey,
    reason: refusal,
    source: request.source,
    requestId: request.requestId,
    details: { certificateName, cap: config.MAX_ACTIVE_CERTIFICATES_PER_USER },
  });
  return { terminal: true, error: CAP_REACHED, message: refusal };
});

export interface DeviceCertificate extends ClientCertificateView {
  /** The issuing root, PEM: what the device imports as the chain. */
  readonly chainPem: string;
}

/**
 * Checks the device's CSR again (the edge did, but history is input too) and has the root sign a certificate for the
 * UPN on the CSR's key. Nothing is stored here: a certificate signed by an attempt whose result is lost is never
 * recorded or handed out, and the attempt that completes is the one the ledger keeps. Once the ledger holds this
 * issuance's certificate (a new instance of a finished request, e.g. after its history was purged), that one is
 * returned and nothing is signed: the ledger's thumbprint is never replaced by another.
 */
export const signDeviceCertificate = defineActivity<
  { readonly certificateName: string; readonly upn: string; readonly csrPem: string; readonly root: RootCa },
  CaOutcome<DeviceCertificate>
>("signDeviceCertificate", ({ certificateName, upn, csrPem, root }) =>
  outcomeOf(async () => {
    const { config, keyVault, ledger } = services();
    const owner = assertUpn(upn);
    const recorded = (await ledger.getCertificate(upnKey(owner), certificateName))?.certificatePem;
    const csr = await checkDeviceCsr(csrPem, owner);
    const der =
      recorded === undefined
        ? await signClientCertificate(keyVault, config, root, toBase64(csr.csrDer), owner, new Date())
        : pemToDer(recorded);
    return {
      ...viewOf(certificateName, der, describeCertificate(der)),
      chainPem: derToPem(fromGatewayCertData(root.publicCertData)),
    };
  }),
);
