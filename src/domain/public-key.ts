// Public keys out of certificates, CSRs and SubjectPublicKeyInfo bytes, compared as keys (Node's KeyObject.equals),
// never as encodings: two SPKI encodings of one key are the same key.
import "reflect-metadata";
import { X509Certificate, createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { Pkcs10CertificateRequest } from "@peculiar/x509";

/** The SubjectPublicKeyInfo DER of a certificate's key. */
export function certificateSpki(certificateDer: Uint8Array): Uint8Array {
  const key = new X509Certificate(Buffer.from(certificateDer)).publicKey;
  return new Uint8Array(key.export({ type: "spki", format: "der" }));
}

/** The SubjectPublicKeyInfo DER of a PKCS#10 request's key (Node has no CSR parser; @peculiar/x509 reads it). */
export function csrSpki(csrDer: Uint8Array): Uint8Array {
  return new Uint8Array(new Pkcs10CertificateRequest(new Uint8Array(csrDer)).publicKey.rawData);
}

function keyOf(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
}

/** Whether two SubjectPublicKeyInfo encodings hold the same key. */
export function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  return keyOf(a).equals(keyOf(b));
}
