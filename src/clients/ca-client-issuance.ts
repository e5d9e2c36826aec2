// Client certificate issuance on the Key Vault CA: Key Vault makes the user's key and a CSR (issuer "Unknown"), the
// root signs the certificate through keys/sign, and the chain is merged with the certificate's tags. Each step can
// be repeated: a retry resumes the pending operation or finds the certificate already made, and never creates a second.
import type { CertificatePolicy, KeyVaultCertificate } from "@azure/keyvault-certificates";
import { CaStateError, OWNER_TAG, OWNER_VALUE } from "./ca-model";
import type { CaConfig, RootCa } from "./ca-model";
import { createUnlessPresent } from "./certificate-create";
import { readVersions } from "./ca-root-versions";
import {
  discardOperation,
  ensureTags,
  isStatus,
  mergeVerified,
  operationInProgress,
} from "./key-vault-certificate-ops";
import { keyVaultSigner } from "./key-vault-signer";
import type { KeyVaultClients } from "./keyvault";
import { describeCertificate } from "../domain/certificate-info";
import type { CertificateInfo } from "../domain/certificate-info";
import { buildClientCertificate } from "../domain/client-certificate";
import { derToPem } from "../domain/pem";
import { certificateSpki, samePublicKey } from "../domain/public-key";
import { generateSerialNumber } from "../domain/serial-number";
import type { Upn } from "../domain/upn";
import { clientValidity } from "../domain/validity";

export interface PendingClientCertificate {
  readonly state: "pending";
  /** The PKCS#10 request Key Vault made for the user's new key (public data). */
  readonly csrBase64: string;
}

export interface IssuedClientCertificate {
  readonly state: "issued";
  readonly certificate: ClientCertificateView;
}

export interface ClientCertificateView {
  readonly certificateName: string;
  readonly thumbprint: string;
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly certificatePem: string;
}

export interface ClientCertificateTags {
  readonly upn: string;
  readonly requestId: string;
  readonly rootThumbprint: string;
}

/**
 * Step 1 of issuance: Key Vault creates the user's key (exportable, so the user's PFX can be built) and a CSR. Safe to
 * run again, and twice at once (a re-delivered activity): the vault is read first, and a certificate of this request
 * that is already issued is returned, an operation already pending is resumed; a create is sent only when neither
 * exists (certificate-create.ts re-reads before every send), and a create that turns out to have landed after this
 * request's certificate was merged has its operation discarded at once. So a retry or a replay never makes a second
 * certificate.
 */
export async function beginClientCertificate(
  kv: KeyVaultClients,
  config: CaConfig,
  certificateName: string,
  upn: Upn,
  tags: ClientCertificateTags,
): Promise<PendingClientCertificate | IssuedClientCertificate> {
  const policy: CertificatePolicy = {
    issuerName: "Unknown",
    subject: `CN=${upn}`,
    exportable: true,
    keyType: "RSA",
    keySize: config.CLIENT_CERT_KEY_SIZE,
    reuseKey: false,
    keyUsage: ["digitalSignature", "keyEncipherment"],
    enhancedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
    subjectAlternativeNames: { userPrincipalNames: [upn] },
    validityInMonths: Math.max(1, Math.ceil(config.CLIENT_CERT_VALIDITY_DAYS / 30)),
    // PEM keeps the secret readable without legacy PKCS#12 ciphers.
    contentType: "application/x-pem-file",
  };
  const createTags = {
    [OWNER_TAG]: OWNER_VALUE,
    role: "client",
    upn: tags.upn,
    requestId: tags.requestId,
    rootThumbprint: tags.rootThumbprint,
  };
  const present = () => resolveClientState(kv, certificateName, tags.requestId);
  const started = await createUnlessPresent(kv, config, certificateName, policy, createTags, present);
  if (started.kind === "present") return started.value;
  // Read again: a create that landed after this request's certificate was merged is discarded here.
  const now = await present();
  if (now !== undefined) return now;
  return pendingOf(certificateName, started.poller.getOperationState().certificateOperation?.csr);
}

/**
 * What the vault holds for this request: its issued certificate (then any operation still pending under the name is
 * a stray create that landed after the merge, and is discarded), the CSR of its pending operation, or undefined when
 * there is neither. A name holding an issued certificate of another request is left to an operator.
 */
async function resolveClientState(
  kv: KeyVaultClients,
  certificateName: string,
  requestId: string,
): Promise<PendingClientCertificate | IssuedClientCertificate | undefined> {
  const [versions, operation] = await Promise.all([
    readVersions(kv, certificateName),
    operationInProgress(kv, certificateName),
  ]);
  const issued = versions.filter((v) => v.der !== undefined);
  // Enabled or not: a certificate of this request disabled since (its user offboarded) is still the one it made.
  const mine = issued.find((v) => isThisRequests(v.tags, requestId));
  if (mine?.der !== undefined) {
    if (operation !== undefined) await discardOperation(kv, certificateName);
    const info = describeCertificate(mine.der);
    return { state: "issued", certificate: viewOf(certificateName, mine.der, info) };
  }
  if (issued.length > 0) {
    throw new CaStateError(
      `Key Vault certificate ${certificateName} holds a certificate not tagged as request ${requestId}'s: an ` +
        `operator must check it before this request can be issued`,
      { terminal: true },
    );
  }
  if (operation === undefined) return undefined;
  return pendingOf(certificateName, operation.getOperationState().certificateOperation?.csr);
}

function isThisRequests(tags: Readonly<Record<string, string>>, requestId: string): boolean {
  return tags[OWNER_TAG] === OWNER_VALUE && tags.role === "client" && tags.requestId === requestId;
}

function pendingOf(certificateName: string, csr: Uint8Array | undefined): PendingClientCertificate {
  if (csr === undefined || csr.length === 0) {
    throw new CaStateError(`Key Vault returned no CSR for pending certificate ${certificateName}`);
  }
  return { state: "pending", csrBase64: Buffer.from(csr).toString("base64") };
}

/** Step 2: the CA signs the CSR through keys/sign. Pure apart from the signature; repeating it is harmless. */
export async function signClientCertificate(
  kv: KeyVaultClients,
  config: CaConfig,
  root: RootCa,
  csrBase64: string,
  upn: Upn,
  now: Date,
): Promise<Uint8Array> {
  const rootDer = new Uint8Array(Buffer.from(root.publicCertData, "base64"));
  return buildClientCertificate({
    csrDer: new Uint8Array(Buffer.from(csrBase64, "base64")),
    upn,
    issuer: rootDer,
    validity: clientValidity(now, config.CLIENT_CERT_VALIDITY_DAYS),
    serial: generateSerialNumber(),
    signer: keyVaultSigner(kv, root.keyId),
  });
}

/**
 * Step 3: merges the signed certificate with its chain, sending the certificate's tags in the merge body (Key Vault
 * takes them there; whether it keeps the create-time tags through a merge is not documented), then checks that the
 * tags are on the merged version and puts back any that are missing. A retry after a merge returns the merged
 * certificate.
 */
export async function completeClientCertificate(
  kv: KeyVaultClients,
  certificateName: string,
  leafDer: Uint8Array,
  root: RootCa,
): Promise<ClientCertificateView> {
  const wanted: Record<string, string> = {
    ...(await pendingTags(kv, certificateName)),
    [OWNER_TAG]: OWNER_VALUE,
    role: "client",
    rootThumbprint: root.thumbprint,
  };
  let issued = await readIssued(kv, certificateName);
  if (issued === undefined) {
    const chain = [leafDer, new Uint8Array(Buffer.from(root.publicCertData, "base64"))];
    await mergeVerified(kv, certificateName, chain, wanted, async () => {
      const merged = await readIssued(kv, certificateName);
      return merged !== undefined && samePublicKey(certificateSpki(merged.der), certificateSpki(leafDer));
    });
    issued = await readIssued(kv, certificateName);
    if (issued === undefined) throw new CaStateError(`certificate ${certificateName} is missing after its merge`);
  }
  await ensureTags(kv, certificateName, issued.version, issued.tags, wanted);
  return issued.view;
}

/** The merged client certificate (public parts), or undefined while it is pending or absent. */
export async function getClientCertificate(
  kv: KeyVaultClients,
  certificateName: string,
): Promise<ClientCertificateView | undefined> {
  return (await readIssued(kv, certificateName))?.view;
}

interface IssuedVersion {
  readonly version: string;
  readonly der: Uint8Array;
  readonly tags: Readonly<Record<string, string>>;
  readonly view: ClientCertificateView;
}

async function readIssued(kv: KeyVaultClients, certificateName: string): Promise<IssuedVersion | undefined> {
  let cert: KeyVaultCertificate;
  try {
    cert = await kv.certificates.getCertificate(certificateName);
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
  if (cert.cer === undefined || cert.cer.length === 0) return undefined;
  const der = new Uint8Array(cert.cer);
  return {
    version: cert.properties.version ?? "",
    der,
    tags: { ...(cert.properties.tags ?? {}) },
    view: viewOf(certificateName, der, describeCertificate(der)),
  };
}

/** The tags the create gave the pending version (the newest one without a certificate), if Key Vault shows them. */
async function pendingTags(kv: KeyVaultClients, certificateName: string): Promise<Record<string, string>> {
  const pending: { createdOn: number; tags: Record<string, string> }[] = [];
  try {
    for await (const properties of kv.certificates.listPropertiesOfCertificateVersions(certificateName)) {
      if (properties.x509Thumbprint === undefined || properties.x509Thumbprint.length === 0) {
        pending.push({ createdOn: properties.createdOn?.getTime() ?? 0, tags: { ...(properties.tags ?? {}) } });
      }
    }
  } catch (error) {
    if (isStatus(error, 404)) return {};
    throw error;
  }
  return (
    pending.reduce<{ createdOn: number; tags: Record<string, string> } | undefined>(
      (newest, p) => (newest === undefined || p.createdOn >= newest.createdOn ? p : newest),
      undefined,
    )?.tags ?? {}
  );
}

/** The public view of a client certificate from its DER: what the ledger, the API and the orchestrations carry. */
export function viewOf(certificateName: string, der: Uint8Array, info: CertificateInfo): ClientCertificateView {
  return {
    certificateName,
    thumbprint: info.thumbprint,
    serialNumber: info.serialNumber,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    certificatePem: derToPem(der),
  };
}
