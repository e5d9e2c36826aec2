// Checks that a certificate was issued by another, from the encoded bytes and with Node's crypto (not the library
// that built it): the issuer name bytes equal the issuer's subject bytes, the two signature algorithm fields agree,
// and the signature verifies with the issuer's public key.
import { createPublicKey, verify } from "node:crypto";
import { certificateParts, sameBytes } from "./certificate-der";

// Content octets of the sha*WithRSAEncryption OIDs (1.2.840.113549.1.1.11/12/13).
const RSA_SIGNATURE_HASH: ReadonlyMap<string, string> = new Map([
  ["2a864886f70d01010b", "sha256"],
  ["2a864886f70d01010c", "sha384"],
  ["2a864886f70d01010d", "sha512"],
]);

export async function verifyIssuedBy(certificateDer: Uint8Array, issuerDer: Uint8Array, what: string): Promise<void> {
  const cert = certificateParts(certificateDer);
  const issuer = certificateParts(issuerDer);
  if (!sameBytes(cert.issuer, issuer.subject))
    throw new Error(`${what}: issuer name bytes differ from the issuer's subject`);
  if (!sameBytes(cert.tbsSignatureAlgorithm, cert.outerSignatureAlgorithm)) {
    throw new Error(`${what}: the two signature algorithm fields differ`);
  }
  const hash = RSA_SIGNATURE_HASH.get(Buffer.from(cert.signatureAlgorithmOid).toString("hex"));
  if (hash === undefined) throw new Error(`${what}: signature algorithm is not sha256/384/512 with RSA`);
  const key = createPublicKey({ key: Buffer.from(issuer.subjectPublicKeyInfo), format: "der", type: "spki" });
  const ok = await new Promise<boolean>((resolve, reject) => {
    verify(hash, cert.tbs, key, cert.signature, (error, result) => {
      if (error) reject(error);
      else resolve(result);
    });
  });
  if (!ok)
    throw new Error(`${what}: signature does not verify with the issuer's key (is the signer bound to that key?)`);
}
