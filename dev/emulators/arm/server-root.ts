// The gateway's server root certificate, as profiles carry it (Generic/VpnSettings.xml CaCert): a real self-signed
// X.509 certificate per common name, made once and cached, so a client can parse and pin it. Microsoft migrates
// gateways to new server roots; the control setServerRootCn stands in for that.
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

const ALGORITHM = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

const cache = new Map<string, Promise<string>>();

/** Base64 DER of the server root certificate with this common name. */
export function serverRootCertificate(commonName: string): Promise<string> {
  let made = cache.get(commonName);
  if (made === undefined) {
    made = create(commonName);
    cache.set(commonName, made);
    made.catch(() => cache.delete(commonName));
  }
  return made;
}

async function create(commonName: string): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      // A positive serial: the high bit cleared.
      serialNumber: `01${randomBytes(15).toString("hex")}`,
      name: `CN=${commonName.replace(/[,+="\\<>;]/g, " ")}`,
      keys,
      signingAlgorithm: ALGORITHM,
      notBefore: new Date("2013-08-01T12:00:00Z"),
      notAfter: new Date("2038-01-15T12:00:00Z"),
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    },
    webcrypto,
  );
  return Buffer.from(cert.rawData).toString("base64");
}
