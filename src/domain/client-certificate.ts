// A user's P2S client certificate, issued from the PKCS#10 request Key Vault produced for the user's key.
// Profile:
// - subject CN = the UPN exactly as given (UTF8String); the CSR's subject is only checked, never copied.
// - extendedKeyUsage = clientAuth (1.3.6.1.5.5.7.3.2) alone, so it is first as the gateway requires.
// - keyUsage digitalSignature | keyEncipherment (critical); basicConstraints CA:FALSE (critical).
// - subjectAltName: otherName UPN (1.3.6.1.4.1.311.20.2.3), which Windows uses to name and pick the certificate,
//   and rfc822Name = UPN, which strongSwan-based clients (Linux, Android) match an IKEv2 identity of the form
//   user@domain against. Neither changes what the gateway checks (chain, EKU, CN).
// - subjectKeyIdentifier from the CSR's key; authorityKeyIdentifier = the root's SKI; issuer = the root's subject
//   bytes, unchanged.
// The CSR signature is verified first, and only RSA keys of 2048 bits or more are accepted (the gateway is RSA-only).
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  Pkcs10CertificateRequest,
  PublicKey,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from "@peculiar/x509";
import type { X509Certificate } from "@peculiar/x509";
import {
  OID_BASIC_CONSTRAINTS,
  OID_COMMON_NAME,
  OID_KEY_USAGE,
  OID_SUBJECT_KEY_IDENTIFIER,
  copyOf,
  extensionOf,
  parseCertificate,
} from "./certificate-info";
import { verifyIssuedBy } from "./certificate-verify";
import { assertRsaPublicKey } from "./rsa-public-key";
import { assertSerialNumber } from "./serial-number";
import { signerCrypto } from "./signer";
import type { Signer } from "./signer";
import { assertUpn } from "./upn";
import type { Upn } from "./upn";
import { checkValidity } from "./validity";
import type { Validity } from "./validity";

export interface ClientCertificateRequest {
  /** PKCS#10 DER, e.g. the `csr` of Key Vault's pending certificate operation. */
  readonly csrDer: Uint8Array;
  /** Validated here again; a plain string is accepted so callers cannot skip the check. */
  readonly upn: Upn | string;
  /** The issuing root certificate, DER. */
  readonly issuer: Uint8Array;
  readonly validity: Validity;
  /** Hex, positive, 8-20 octets: use `generateSerialNumber()`. */
  readonly serial: string;
  /** The root's key (Key Vault keys/sign). */
  readonly signer: Signer;
  /**
   * The CN the CSR must carry when it is not the UPN (e.g. a Key Vault policy subject chosen to keep the UPN out of
   * the vault). By default the CSR's CN, if any, must be the UPN (compared without case).
   */
  readonly expectedCsrCommonName?: string;
}

export class CertificateRequestRejectedError extends Error {
  override readonly name = "CertificateRequestRejectedError";
}

/** Builds the client certificate, checks it against the root, and returns its DER. */
export async function buildClientCertificate(request: ClientCertificateRequest): Promise<Uint8Array> {
  const upn = assertUpn(request.upn);
  const csr = await readCsr(request.csrDer, request.expectedCsrCommonName ?? upn);
  const root = parseCertificate(request.issuer, "issuer certificate");
  const rootKeyId = await issuerKeyIdentifier(root);
  const { notBefore, notAfter } = checkValidity(request.validity);
  if (notAfter.getTime() > root.notAfter.getTime()) {
    throw new Error(`client certificate would outlive its root (root ends ${root.notAfter.toISOString()})`);
  }
  const serialNumber = assertSerialNumber(request.serial);
  const { crypto, signingKey } = signerCrypto(request.signer);
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber,
      subject: new Name([{ [OID_COMMON_NAME]: [{ utf8String: upn }] }]),
      issuer: root.subjectName,
      notBefore,
      notAfter,
      publicKey: csr.publicKey,
      signingKey,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth], false),
        new SubjectAlternativeNameExtension(
          [
            { type: "upn", value: upn },
            { type: "email", value: upn },
          ],
          false,
        ),
        await SubjectKeyIdentifierExtension.create(csr.publicKey, false, crypto),
        new AuthorityKeyIdentifierExtension(rootKeyId, false),
      ],
    },
    crypto,
  );
  const der = new Uint8Array(certificate.rawData);
  await verifyIssuedBy(der, request.issuer, "client certificate");
  return der;
}

async function readCsr(csrDer: Uint8Array, expectedCn: string): Promise<Pkcs10CertificateRequest> {
  let csr: Pkcs10CertificateRequest;
  try {
    csr = new Pkcs10CertificateRequest(copyOf(csrDer));
  } catch {
    throw new CertificateRequestRejectedError("CSR is not a readable PKCS#10 request");
  }
  try {
    assertRsaPublicKey(new Uint8Array(csr.publicKey.rawData), "CSR public key");
  } catch (error) {
    throw new CertificateRequestRejectedError(error instanceof Error ? error.message : String(error));
  }
  if (!(await csr.verify(webcrypto))) throw new CertificateRequestRejectedError("CSR signature does not verify");
  const commonNames = csr.subjectName.getField(OID_COMMON_NAME);
  if (commonNames.length > 1) throw new CertificateRequestRejectedError("CSR subject has more than one CN");
  const [cn] = commonNames;
  // An empty subject is fine (the subject is ours to set); a CN naming someone else means a mixed-up request.
  if (cn !== undefined && cn.toLowerCase() !== expectedCn.toLowerCase()) {
    throw new CertificateRequestRejectedError(`CSR subject CN '${cn}' does not match the expected '${expectedCn}'`);
  }
  return csr;
}

async function issuerKeyIdentifier(root: X509Certificate): Promise<string> {
  const basic = extensionOf(root, OID_BASIC_CONSTRAINTS, BasicConstraintsExtension);
  if (!basic?.ca) throw new Error("issuer certificate is not a CA (basicConstraints CA:TRUE missing)");
  const usage = extensionOf(root, OID_KEY_USAGE, KeyUsagesExtension);
  if (usage !== undefined && (usage.usages & KeyUsageFlags.keyCertSign) === 0) {
    throw new Error("issuer certificate's keyUsage does not allow keyCertSign");
  }
  const ski = extensionOf(root, OID_SUBJECT_KEY_IDENTIFIER, SubjectKeyIdentifierExtension);
  if (ski !== undefined) return ski.keyId;
  // A root without an SKI: use the same RFC 5280 method-1 identifier a chain builder would compute.
  const computed = await SubjectKeyIdentifierExtension.create(new PublicKey(root.publicKey.rawData), false, webcrypto);
  return computed.keyId;
}
