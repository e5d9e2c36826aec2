// The value of a certificate's secret, per the policy's content type at the version's creation: base64 PKCS#12
// without a password, or PEM (PKCS#8 key, then the chain leaf first). The private key is included only when the
// key is exportable; otherwise the value carries the certificates alone (about-certificates, "Exportable or
// non-exportable key").
import type { CertificateVersion } from "./records";
import { buildPkcs12 } from "./pkcs12";

export async function secretValue(version: CertificateVersion): Promise<string | undefined> {
  const issued = version.issued;
  if (issued === undefined) return undefined;
  const privateKeyPkcs8 = version.exportable
    ? version.key.privateKey.export({ format: "der", type: "pkcs8" })
    : undefined;
  if (version.contentType === "application/x-pkcs12") {
    const pfx = await buildPkcs12(
      privateKeyPkcs8 === undefined ? { certificates: issued.chain } : { certificates: issued.chain, privateKeyPkcs8 },
    );
    return pfx.toString("base64");
  }
  const blocks = issued.chain.map((der) => pem("CERTIFICATE", der));
  if (privateKeyPkcs8 !== undefined) blocks.unshift(pem("PRIVATE KEY", privateKeyPkcs8));
  return blocks.join("");
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
