// The P2S root CA certificate: self-signed by a key that stays in Key Vault (reached through a `Signer`).
// Profile: basicConstraints CA:TRUE pathlen:0 (critical; the root signs only client certificates), keyUsage
// keyCertSign | cRLSign | digitalSignature (critical), subjectKeyIdentifier, authorityKeyIdentifier = the SKI,
// sha{256,384,512}WithRSAEncryption according to the signer.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  PublicKey,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from "@peculiar/x509";
import { OID_COMMON_NAME, copyOf } from "./certificate-info";
import { verifyIssuedBy } from "./certificate-verify";
import { assertRsaPublicKey } from "./rsa-public-key";
import { assertSerialNumber } from "./serial-number";
import { signerCrypto } from "./signer";
import type { Signer } from "./signer";
import { checkValidity } from "./validity";
import type { Validity } from "./validity";

export interface RootCertificateRequest {
  /** RFC 4514 distinguished name with at least a CN, e.g. "CN=Contoso P2S Root 2025, O=Contoso". */
  readonly subject: string;
  /** The CA key's public half: SubjectPublicKeyInfo DER, or a WebCrypto public key. RSA-2048 or larger. */
  readonly publicKey: Uint8Array | webcrypto.CryptoKey;
  readonly validity: Validity;
  /** Hex, positive, 8-20 octets: use `generateSerialNumber()`. */
  readonly serial: string;
  /** The CA key in Key Vault (keys/sign). */
  readonly signer: Signer;
}

/** Builds and self-checks the root certificate; returns its DER. */
export async function buildRootCertificate(request: RootCertificateRequest): Promise<Uint8Array> {
  const spki = await spkiOf(request.publicKey);
  assertRsaPublicKey(spki, "root public key");
  const subject = parseSubject(request.subject);
  const { notBefore, notAfter } = checkValidity(request.validity);
  const serialNumber = assertSerialNumber(request.serial);
  const publicKey = new PublicKey(spki);
  const { crypto, signingKey } = signerCrypto(request.signer);
  const ski = await SubjectKeyIdentifierExtension.create(publicKey, false, crypto);
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber,
      subject,
      issuer: subject,
      notBefore,
      notAfter,
      publicKey,
      signingKey,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(
          KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature,
          true,
        ),
        ski,
        new AuthorityKeyIdentifierExtension(ski.keyId, false),
      ],
    },
    crypto,
  );
  const der = new Uint8Array(certificate.rawData);
  // Catches a signer bound to a different key than `publicKey` (e.g. a stale Key Vault key version).
  await verifyIssuedBy(der, der, "root certificate");
  return der;
}

function parseSubject(subject: string): Name {
  let name: Name;
  try {
    name = new Name(subject);
  } catch {
    throw new Error(`root subject '${subject}' is not a valid distinguished name`);
  }
  if (name.getField(OID_COMMON_NAME).length === 0) throw new Error(`root subject '${subject}' has no CN`);
  return name;
}

async function spkiOf(key: Uint8Array | webcrypto.CryptoKey): Promise<Uint8Array> {
  if (key instanceof Uint8Array) return copyOf(key);
  if (key.type !== "public") throw new Error("root public key must be a public key");
  return new Uint8Array(await webcrypto.subtle.exportKey("spki", key));
}
