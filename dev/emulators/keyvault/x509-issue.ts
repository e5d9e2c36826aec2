// What Key Vault builds from a policy: a self-signed certificate (issuer "Self") or a PKCS#10 request (any other
// issuer), both signed by the version's key and carrying the policy's subject, SANs, key usage and EKUs.
// Basic constraints are always CA:false: Key Vault offers no supported way to make a self-signed CA.
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { CertificatePolicy, KeyUsage } from "./policy";
import type { RsaKeyPair } from "./key-material";
import { parseSubject } from "./subject-name";
import { namedBitString } from "./der";

const SIGNING_ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** KeyUsage named bits (RFC 5280 section 4.2.1.3). */
const KEY_USAGE_BITS: Readonly<Record<KeyUsage, number>> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
};
const ID_KEY_USAGE = "2.5.29.15";

async function toCryptoKeyPair(pair: RsaKeyPair): Promise<webcrypto.CryptoKeyPair> {
  const pkcs8 = pair.privateKey.export({ format: "der", type: "pkcs8" });
  const spki = pair.publicKey.export({ format: "der", type: "spki" });
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey("pkcs8", pkcs8, SIGNING_ALGORITHM, false, ["sign"]),
    webcrypto.subtle.importKey("spki", spki, SIGNING_ALGORITHM, true, ["verify"]),
  ]);
  return { privateKey, publicKey };
}

function policyExtensions(policy: CertificatePolicy): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  if (policy.keyUsage.length > 0) {
    const bits = namedBitString(policy.keyUsage.map((usage) => KEY_USAGE_BITS[usage]));
    extensions.push(new x509.Extension(ID_KEY_USAGE, true, bits));
  }
  if (policy.ekus.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension([...policy.ekus], false));
  const names: x509.JsonGeneralName[] = [
    ...policy.sans.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...policy.sans.emails.map((value) => ({ type: "email" as const, value })),
    ...policy.sans.upns.map((value) => ({ type: "upn" as const, value })),
    ...policy.sans.uris.map((value) => ({ type: "url" as const, value })),
    ...policy.sans.ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  extensions.push(new x509.BasicConstraintsExtension(false, undefined, false));
  return extensions;
}

/** A positive 16-byte serial. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString("hex");
}

export function addMonths(from: Date, months: number): Date {
  const result = new Date(from.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

/** DER of a self-signed certificate valid from `notBefore` for the policy's validity. */
export async function createSelfSignedCertificate(
  policy: CertificatePolicy,
  pair: RsaKeyPair,
  notBefore: Date,
): Promise<Buffer> {
  const keys = await toCryptoKeyPair(pair);
  const extensions = policyExtensions(policy);
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto));
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey, false, webcrypto));
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: parseSubject(policy.subject),
      notBefore,
      notAfter: addMonths(notBefore, policy.validityMonths),
      signingAlgorithm: SIGNING_ALGORITHM,
      keys,
      extensions,
    },
    webcrypto,
  );
  return Buffer.from(certificate.rawData);
}

/** DER of a PKCS#10 request for the policy, signed by the pending version's key. */
export async function createCertificateRequest(policy: CertificatePolicy, pair: RsaKeyPair): Promise<Buffer> {
  const keys = await toCryptoKeyPair(pair);
  const request = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: parseSubject(policy.subject),
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: policyExtensions(policy),
    },
    webcrypto,
  );
  return Buffer.from(request.rawData);
}
