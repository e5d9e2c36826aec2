// Wire shapes of certificates, operations, keys and secrets, as Key Vault returns them (times in unix seconds,
// x5t base64url, cer and csr base64, key members base64url).
import { policyToWire } from "./policy";
import { publicJwk } from "./key-material";
import type { CertificateOperation, CertificateRecord, CertificateVersion, DeletedCertificate } from "./records";
import { currentVersion, thumbprint } from "./records";
import { secretValue } from "./secret-value";

/** Soft delete without purge protection: deleted objects can be recovered or purged. */
const RECOVERY_LEVEL = "Recoverable+Purgeable";

export interface BundleContext {
  /** https://127.0.0.1:port, no trailing slash. */
  readonly baseUrl: string;
  readonly recoverableDays: number;
}

function attributes(context: BundleContext, version: CertificateVersion): Record<string, unknown> {
  return {
    enabled: version.enabled,
    ...(version.issued === undefined ? {} : { nbf: version.issued.notBefore, exp: version.issued.expires }),
    created: version.created,
    updated: version.updated,
    recoveryLevel: RECOVERY_LEVEL,
    recoverableDays: context.recoverableDays,
  };
}

function leaf(version: CertificateVersion): Buffer | undefined {
  return version.issued?.chain[0];
}

export function certificateBundle(
  context: BundleContext,
  record: CertificateRecord,
  version: CertificateVersion,
): Record<string, unknown> {
  const base = context.baseUrl;
  const der = leaf(version);
  return {
    id: `${base}/certificates/${record.name}/${version.version}`,
    kid: `${base}/keys/${record.name}/${version.version}`,
    ...(der === undefined
      ? {}
      : {
          sid: `${base}/secrets/${record.name}/${version.version}`,
          x5t: thumbprint(der),
          cer: der.toString("base64"),
          contentType: version.contentType,
        }),
    attributes: attributes(context, version),
    policy: policyToWire(record.policy, `${base}/certificates/${record.name}/policy`),
    tags: version.tags,
  };
}

export function certificateItem(
  context: BundleContext,
  record: CertificateRecord,
  version: CertificateVersion,
  withVersion: boolean,
): Record<string, unknown> {
  const der = leaf(version);
  return {
    id: `${context.baseUrl}/certificates/${record.name}${withVersion ? `/${version.version}` : ""}`,
    attributes: attributes(context, version),
    tags: version.tags,
    ...(der === undefined ? {} : { x5t: thumbprint(der) }),
  };
}

function deletion(context: BundleContext, deleted: DeletedCertificate): Record<string, unknown> {
  return {
    recoveryId: `${context.baseUrl}/deletedcertificates/${deleted.record.name}`,
    deletedDate: deleted.deletedDate,
    scheduledPurgeDate: deleted.scheduledPurgeDate,
  };
}

export function deletedCertificateBundle(context: BundleContext, deleted: DeletedCertificate): Record<string, unknown> {
  const version = currentVersion(deleted.record);
  return {
    ...deletion(context, deleted),
    ...(version === undefined ? {} : certificateBundle(context, deleted.record, version)),
  };
}

export function deletedCertificateItem(context: BundleContext, deleted: DeletedCertificate): Record<string, unknown> {
  const version = currentVersion(deleted.record);
  return {
    ...deletion(context, deleted),
    ...(version === undefined ? {} : certificateItem(context, deleted.record, version, false)),
  };
}

export function operationBundle(
  context: BundleContext,
  record: CertificateRecord,
  operation: CertificateOperation,
): Record<string, unknown> {
  const base = context.baseUrl;
  return {
    id: `${base}/certificates/${record.name}/pending`,
    issuer: {
      name: operation.issuerName,
      ...(operation.certificateType === undefined ? {} : { cty: operation.certificateType }),
      ...(operation.certificateTransparency === undefined
        ? {}
        : { cert_transparency: operation.certificateTransparency }),
    },
    csr: operation.csr.toString("base64"),
    cancellation_requested: operation.cancellationRequested,
    status: operation.status,
    ...(operation.statusDetails === "" ? {} : { status_details: operation.statusDetails }),
    ...(operation.status === "completed" ? { target: `${base}/certificates/${record.name}` } : {}),
    ...(operation.error === undefined ? {} : { error: operation.error }),
    request_id: operation.requestId,
  };
}

export function keyBundle(
  context: BundleContext,
  record: CertificateRecord,
  version: CertificateVersion,
): Record<string, unknown> {
  return {
    key: {
      kid: `${context.baseUrl}/keys/${record.name}/${version.version}`,
      kty: version.keyType,
      key_ops: version.keyOperations,
      ...publicJwk(version.key),
    },
    attributes: attributes(context, version),
    tags: version.tags,
    managed: true,
  };
}

/** Only for an issued version (the caller has checked). */
export async function secretBundle(
  context: BundleContext,
  record: CertificateRecord,
  version: CertificateVersion,
): Promise<Record<string, unknown>> {
  return {
    value: await secretValue(version),
    contentType: version.contentType,
    id: `${context.baseUrl}/secrets/${record.name}/${version.version}`,
    attributes: attributes(context, version),
    tags: version.tags,
    kid: `${context.baseUrl}/keys/${record.name}/${version.version}`,
    managed: true,
  };
}
