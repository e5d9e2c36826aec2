// The "legacy3des" PKCS#12 profile, built by node-forge, for key stores that cannot read PBES2 (older macOS
// keychains and Android): the key bag under pbeWithSHAAnd3-KeyTripleDES-CBC, MAC HMAC-SHA1, both with fresh random
// salts; the certificates in plain (unencrypted) SafeContents, which every PKCS#12 reader accepts. OpenSSL 3 opens
// it without -legacy (3DES is in its default provider). Weak against offline guessing: only on request.
// node-forge's key derivation is synchronous JavaScript: this module runs on the PKCS#12 worker thread only.
import forge from "node-forge";
import type { Pkcs12Job } from "./pkcs12-job";

export function buildLegacyPkcs12(job: Pkcs12Job): Uint8Array {
  const key = forge.pki.privateKeyFromAsn1(forge.asn1.fromDer(binary(job.privateKey)));
  // forge writes a parsed certificate back from the TBS it captured, so the DER and the thumbprint are unchanged.
  const chain = job.certificates.map((der) => forge.pki.certificateFromAsn1(forge.asn1.fromDer(binary(der))));
  const pfx = forge.pkcs12.toPkcs12Asn1(key, chain, job.password, {
    algorithm: "3des",
    count: job.iterations,
    saltSize: 8,
    // SHA-1 of the leaf, as OpenSSL does, on both the key bag and the leaf's certificate bag.
    generateLocalKeyId: true,
    ...(job.friendlyName === undefined ? {} : { friendlyName: job.friendlyName }),
  });
  return new Uint8Array(Buffer.from(forge.asn1.toDer(pfx).getBytes(), "binary"));
}

/** forge's byte form: a string with one char per byte. */
function binary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("binary");
}
