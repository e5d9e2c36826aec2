// What the gateway accepts as a trusted root: Base64 of one DER X.509 certificate on one line, no PEM armour, with
// an RSA key (ECDSA roots are not supported for P2S). Returns a reason when the data is refused.
import { X509Certificate } from "node:crypto";

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function rootCertificateDataProblem(publicCertData: string): string | undefined {
  if (publicCertData.includes("-----BEGIN") || publicCertData.includes("-----END")) {
    return "contains PEM armour (BEGIN/END lines); send only the Base64 of the DER certificate";
  }
  if (publicCertData === "") return "is empty";
  if (/\s/.test(publicCertData)) return "must be Base64 on one line, without spaces or line breaks";
  if (!STRICT_BASE64.test(publicCertData)) return "is not valid Base64";
  const der = Buffer.from(publicCertData, "base64");
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    return "is not a DER-encoded X.509 certificate";
  }
  if (!certificate.raw.equals(der)) return "has bytes after the certificate";
  const keyType = certificate.publicKey.asymmetricKeyType;
  if (keyType !== "rsa") return `has a ${keyType ?? "non-RSA"} key; only RSA root certificates are supported`;
  return undefined;
}
