// Checks that a certificate was issued by another with Node's crypto (OpenSSL), not the library that built it: the
// issuer matches the issuer certificate (X509Certificate.checkIssued: names, key identifiers, key usage), the
// signature is sha256/384/512 with RSA, and it verifies with the issuer's public key (OpenSSL also refuses a
// certificate whose two signature algorithm fields differ).
import { X509Certificate } from "node:crypto";
import { parseCertificate } from "./certificate-info";

const RSA_HASHES = new Set(["SHA-256", "SHA-384", "SHA-512"]);

function nodeCertificate(der: Uint8Array, what: string): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(der));
  } catch {
    throw new Error(`${what} is not a readable DER X.509 certificate`);
  }
}

export function verifyIssuedBy(certificateDer: Uint8Array, issuerDer: Uint8Array, what: string): Promise<void> {
  try {
    const cert = nodeCertificate(certificateDer, what);
    const issuer = nodeCertificate(issuerDer, `${what}'s issuer`);
    if (!cert.checkIssued(issuer)) throw new Error(`${what}: its issuer is not the issuer certificate's subject`);
    const algorithm = parseCertificate(certificateDer, what).signatureAlgorithm as {
      readonly name?: string;
      readonly hash?: { readonly name?: string };
    };
    if (algorithm.name !== "RSASSA-PKCS1-v1_5" || !RSA_HASHES.has(algorithm.hash?.name ?? "")) {
      throw new Error(`${what}: signature algorithm is not sha256/384/512 with RSA`);
    }
    if (!cert.verify(issuer.publicKey)) {
      throw new Error(`${what}: signature does not verify with the issuer's key (is the signer bound to that key?)`);
    }
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
