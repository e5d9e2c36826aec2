// What tests may see of a certificate version: public material and flags only, never the private key.
import type { SecretContentType } from "./policy";
import type { KeyOperation } from "./key-material";
import type { CertificateRecord, CertificateVersion } from "./records";

export interface VersionDescription {
  readonly name: string;
  readonly version: string;
  readonly pending: boolean;
  readonly enabled: boolean;
  readonly exportable: boolean;
  readonly contentType: SecretContentType;
  readonly keySize: number;
  readonly keyOperations: readonly KeyOperation[];
  readonly tags: Readonly<Record<string, string>>;
  /** SPKI PEM of the version's key. */
  readonly publicKeyPem: string;
  /** DER certificates, leaf first; empty while pending. */
  readonly chain: readonly Buffer[];
}

export function describeVersion(record: CertificateRecord, version: CertificateVersion): VersionDescription {
  return {
    name: record.name,
    version: version.version,
    pending: version.issued === undefined,
    enabled: version.enabled,
    exportable: version.exportable,
    contentType: version.contentType,
    keySize: version.key.size,
    keyOperations: [...version.keyOperations],
    tags: { ...version.tags },
    publicKeyPem: version.key.publicKey.export({ format: "pem", type: "spki" }).toString(),
    chain: [...(version.issued?.chain ?? [])],
  };
}
