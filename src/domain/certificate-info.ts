// The facts the app keeps about a certificate (ledger rows, revocation, expiry), read from its DER.
import "reflect-metadata";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  Extension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
} from "@peculiar/x509";
import { thumbprintOf } from "./thumbprint";

export const OID_BASIC_CONSTRAINTS = "2.5.29.19";
export const OID_KEY_USAGE = "2.5.29.15";
export const OID_EXTENDED_KEY_USAGE = "2.5.29.37";
export const OID_SUBJECT_ALT_NAME = "2.5.29.17";
export const OID_SUBJECT_KEY_IDENTIFIER = "2.5.29.14";
export const OID_AUTHORITY_KEY_IDENTIFIER = "2.5.29.35";
export const OID_COMMON_NAME = "2.5.4.3";

export interface CertificateInfo {
  /** SHA-1 over the DER, 40 uppercase hex digits: the gateway's revocation key. */
  readonly thumbprint: string;
  /** Uppercase hex, without a sign byte. */
  readonly serialNumber: string;
  readonly subject: string;
  readonly issuer: string;
  /** The first CN of the subject, or undefined. */
  readonly commonName: string | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  /** Uppercase hex, or undefined when the extension is absent. */
  readonly subjectKeyIdentifier: string | undefined;
  readonly authorityKeyIdentifier: string | undefined;
}

export function parseCertificate(der: Uint8Array, what = "certificate"): X509Certificate {
  try {
    return new X509Certificate(copyOf(der));
  } catch {
    throw new Error(`${what} is not a readable DER X.509 certificate`);
  }
}

export function describeCertificate(der: Uint8Array): CertificateInfo {
  const cert = parseCertificate(der);
  const basic = extensionOf(cert, OID_BASIC_CONSTRAINTS, BasicConstraintsExtension);
  const ski = extensionOf(cert, OID_SUBJECT_KEY_IDENTIFIER, SubjectKeyIdentifierExtension);
  const aki = extensionOf(cert, OID_AUTHORITY_KEY_IDENTIFIER, AuthorityKeyIdentifierExtension);
  return {
    thumbprint: thumbprintOf(der),
    serialNumber: cert.serialNumber.toUpperCase(),
    subject: cert.subject,
    issuer: cert.issuer,
    commonName: cert.subjectName.getField(OID_COMMON_NAME)[0],
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: basic?.ca ?? false,
    subjectKeyIdentifier: ski?.keyId.toUpperCase(),
    authorityKeyIdentifier: aki?.keyId?.toUpperCase(),
  };
}

/**
 * The extension with `oid` as an instance of `type`, or undefined. Looked up by OID string: some @peculiar/x509
 * lookups by class silently return null.
 */
export function extensionOf<T extends Extension>(
  holder: { readonly extensions: readonly Extension[] },
  oid: string,
  type: abstract new (...args: never[]) => T,
): T | undefined {
  const found = holder.extensions.find((e) => e.type === oid);
  if (found === undefined) return undefined;
  if (!(found instanceof type)) throw new Error(`extension ${oid} did not parse as ${type.name}`);
  return found;
}

/** An independent copy backed by its own ArrayBuffer (SDK buffers may be views of a shared pool). */
export function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
