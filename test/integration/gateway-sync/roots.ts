// Self-signed CA certificates in the gateway's publicCertData format (base64 DER), for roots added by hand.
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

const DAY = 86_400_000;

/** A CA certificate valid from a day ago for `days` more days (negative: it has expired). */
export async function selfSignedRoot(subject: string, days = 365): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
    false,
    ["sign", "verify"],
  );
  const now = Date.now();
  const notAfter = new Date(now + days * DAY);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(8).toString("hex")}`,
      name: subject,
      notBefore: new Date(Math.min(now, notAfter.getTime()) - 365 * DAY),
      notAfter,
      keys,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    },
    webcrypto,
  );
  return cert.toString("base64");
}
