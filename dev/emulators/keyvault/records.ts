// The vault's state as plain data. A certificate name owns versions; each version owns its key pair and, once
// issued, its certificate chain. The addressable key and secret of a version are views of that version (Key Vault
// mirrors the certificate's attributes and tags onto both), so disabling a certificate disables them too.
import { createHash } from "node:crypto";
import type { CertificatePolicy, SecretContentType } from "./policy";
import type { KeyOperation, RsaKeyPair } from "./key-material";

export interface IssuedCertificate {
  /** DER certificates, leaf first. */
  readonly chain: readonly Buffer[];
  readonly notBefore: number;
  readonly expires: number;
}

export interface CertificateVersion {
  readonly version: string;
  readonly created: number;
  updated: number;
  enabled: boolean;
  tags: Record<string, string>;
  readonly key: RsaKeyPair;
  readonly keyType: "RSA" | "RSA-HSM";
  readonly keyOperations: readonly KeyOperation[];
  /** Policy values at creation: a later policy change does not re-export an existing version. */
  readonly exportable: boolean;
  readonly contentType: SecretContentType;
  /** Undefined while the version waits for a merge. */
  issued: IssuedCertificate | undefined;
}

export type OperationStatus = "inProgress" | "completed" | "cancelled" | "failed";

export interface CertificateOperation {
  readonly requestId: string;
  readonly version: string;
  readonly issuerName: string;
  readonly certificateType: string | undefined;
  readonly certificateTransparency: boolean | undefined;
  readonly csr: Buffer;
  status: OperationStatus;
  statusDetails: string;
  cancellationRequested: boolean;
  error: { readonly code: string; readonly message: string } | undefined;
  /**
   * A "Self" create still in progress: the certificate Key Vault will have made, and how many more status reads
   * answer inProgress before it is in place (VaultBehaviour.selfCreatePendingReads).
   */
  selfIssue: { readonly issued: IssuedCertificate; readonly enabled: boolean; readsLeft: number } | undefined;
  /** 409 conflicts still to answer to a merge or cancellation (updating) and to a delete of this operation. */
  conflictsLeft: { updating: number; deleting: number };
}

export interface CertificateRecord {
  /** The name as first created; lookups ignore case, as Key Vault's do. */
  readonly name: string;
  policy: CertificatePolicy;
  readonly versions: CertificateVersion[];
  operation: CertificateOperation | undefined;
}

export interface DeletedCertificate {
  readonly record: CertificateRecord;
  readonly deletedDate: number;
  readonly scheduledPurgeDate: number;
}

/**
 * Which version "latest" means. Key Vault does not document it while a new version is pending: "newestIssued"
 * (default) keeps the current certificate visible during a renewal; "newestVersion" answers the pending one.
 */
export type LatestRule = "newestIssued" | "newestVersion";

/** The version "latest" means: by default the newest issued one, else (nothing issued yet) the newest pending one. */
export function currentVersion(
  record: CertificateRecord,
  rule: LatestRule = "newestIssued",
): CertificateVersion | undefined {
  if (rule === "newestVersion") return record.versions[record.versions.length - 1];
  for (let i = record.versions.length - 1; i >= 0; i -= 1) {
    const version = record.versions[i];
    if (version?.issued !== undefined) return version;
  }
  return record.versions[record.versions.length - 1];
}

export function findVersion(record: CertificateRecord, version: string): CertificateVersion | undefined {
  const wanted = version.toLowerCase();
  return record.versions.find((candidate) => candidate.version === wanted);
}

/** x5t: base64url SHA-1 of the leaf's DER. */
export function thumbprint(der: Buffer): string {
  return createHash("sha1").update(der).digest("base64url");
}
