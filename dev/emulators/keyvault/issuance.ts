// Creating a certificate version from a policy, and completing a pending one with a merged chain.
import { randomUUID } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { CertificatePolicy } from "./policy";
import { isSelfIssuer } from "./policy";
import { keyOperationsFor, spkiDer } from "./key-material";
import type { RsaKeyPair, RsaKeyPool } from "./key-material";
import type { CertificateOperation, CertificateVersion, IssuedCertificate } from "./records";
import { createCertificateRequest, createSelfSignedCertificate } from "./x509-issue";
import { badParameter } from "./vault-error";

export function newVersionId(): string {
  return randomUUID().replace(/-/g, "");
}

export interface NewVersion {
  readonly version: CertificateVersion;
  readonly operation: CertificateOperation;
}

/**
 * Builds the next version: a key (the previous one when the policy says reuse_key), a CSR, and for a "Self" issuer
 * the certificate itself. A "Self" operation is complete at once only when `selfPendingReads` is 0; otherwise it
 * stays inProgress (the version pending) for that many status reads, as Key Vault's create answers inProgress
 * (spec example CreateCertificate-example). Any other issuer leaves the version pending until a merge.
 */
export async function createVersion(
  policy: CertificatePolicy,
  options: {
    readonly nowMs: number;
    readonly reuseKey: RsaKeyPair | undefined;
    /** Where a new key comes from. */
    readonly keys: RsaKeyPool;
    readonly enabled: boolean;
    readonly tags: Record<string, string>;
    readonly selfPendingReads: number;
    /** 409s the operation answers first to a merge or cancellation, and to a delete. */
    readonly pendingConflicts: number;
  },
): Promise<NewVersion> {
  const key = options.reuseKey ?? (await options.keys.take(policy.keySize));
  const nowSeconds = Math.floor(options.nowMs / 1000);
  const csr = await createCertificateRequest(policy, key);
  const selfIssued = isSelfIssuer(policy.issuerName);
  let issued: IssuedCertificate | undefined;
  if (selfIssued) {
    const der = await createSelfSignedCertificate(policy, key, new Date(nowSeconds * 1000));
    issued = issuedFromChain([der]);
  }
  const completeNow = selfIssued && options.selfPendingReads <= 0;
  const version: CertificateVersion = {
    version: newVersionId(),
    created: nowSeconds,
    updated: nowSeconds,
    enabled: completeNow ? options.enabled : false,
    tags: { ...options.tags },
    key,
    keyType: policy.keyType,
    keyOperations: keyOperationsFor(policy.keyUsage),
    exportable: policy.exportable,
    contentType: policy.contentType,
    issued: completeNow ? issued : undefined,
  };
  const operation: CertificateOperation = {
    requestId: newVersionId(),
    version: version.version,
    issuerName: policy.issuerName,
    certificateType: policy.certificateType,
    certificateTransparency: policy.certificateTransparency,
    csr,
    status: completeNow ? "completed" : "inProgress",
    statusDetails: completeNow
      ? ""
      : selfIssued
        ? "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later."
        : "Pending certificate created. Please perform merge to complete the request.",
    cancellationRequested: false,
    error: undefined,
    selfIssue:
      selfIssued && !completeNow && issued !== undefined
        ? { issued, enabled: options.enabled, readsLeft: options.selfPendingReads }
        : undefined,
    conflictsLeft: { updating: options.pendingConflicts, deleting: options.pendingConflicts },
  };
  return { version, operation };
}

export function issuedFromChain(chain: readonly Buffer[]): IssuedCertificate {
  const leaf = chain[0];
  if (leaf === undefined) throw badParameter("Property x5c has invalid value: it must hold at least one certificate.");
  const parsed = parseCertificate(leaf, 0);
  return {
    chain,
    notBefore: Math.floor(parsed.notBefore.getTime() / 1000),
    expires: Math.floor(parsed.notAfter.getTime() / 1000),
  };
}

function parseCertificate(der: Buffer, index: number): x509.X509Certificate {
  try {
    return new x509.X509Certificate(der);
  } catch {
    throw badParameter(`Property x5c has invalid value: item ${index} is not a DER X.509 certificate.`);
  }
}

/** A merge must bring the certificate of the pending key: the leaf's public key is compared byte for byte. */
export function verifyMergedChain(chain: readonly Buffer[], pendingKey: RsaKeyPair): IssuedCertificate {
  chain.forEach((der, index) => parseCertificate(der, index));
  const issued = issuedFromChain(chain);
  const leaf = new x509.X509Certificate(chain[0] ?? Buffer.alloc(0));
  const leafSpki = Buffer.from(leaf.publicKey.rawData);
  if (!leafSpki.equals(spkiDer(pendingKey.publicKey))) {
    throw badParameter("Public key from x5c does not match the public key of the pending certificate request.");
  }
  return issued;
}
