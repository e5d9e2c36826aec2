// Self-service CSRs made on the user's device: the device keeps the private key, we only read the request's public
// key. Checked before anything starts: PEM size and shape, an RSA key of 2048 bits or more (the gateway is RSA-only
// for IKEv2, so EC is refused rather than issued unusable), the request's signature (proof the device holds the key),
// and no name in it that is not the caller's own. The certificate's names come from the token's UPN alone; the
// request's other extensions are ignored (client-certificate.ts sets the whole profile).
import "reflect-metadata";
import { createHash, createPublicKey, webcrypto } from "node:crypto";
import { Pkcs10CertificateRequest, SubjectAlternativeNameExtension } from "@peculiar/x509";
import type { GeneralName } from "@peculiar/x509";
import { OID_COMMON_NAME, OID_SUBJECT_ALT_NAME } from "./certificate-info";
import { CertificateRequestRejectedError } from "./client-certificate";
import { pemBlocks } from "./pem";
import { assertRsaPublicKey } from "./rsa-public-key";
import type { Upn } from "./upn";

/** A 4096-bit RSA request with a few extensions is about 1.7 KB of PEM: anything far larger is not a device CSR. */
export const MAX_CSR_PEM_CHARS = 8 * 1024;

const CSR_LABELS = new Set(["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]);
const OID_EMAIL_ADDRESS = "1.2.840.113549.1.9.1";

export interface DeviceCsr {
  /** The request's DER (public data: what the orchestration signs). */
  readonly csrDer: Uint8Array;
  /** SHA-256 hex of the canonical SubjectPublicKeyInfo: the same key always gives the same value. */
  readonly publicKeySha256: string;
  readonly modulusBits: number;
}

function reject(message: string): never {
  throw new CertificateRequestRejectedError(message);
}

/** Reads the one PEM CSR block of `pem`; refuses oversize text, other labels and several blocks. */
export function csrDerFromPem(pem: string): Uint8Array {
  if (pem.length > MAX_CSR_PEM_CHARS) reject(`CSR is ${pem.length} characters; at most ${MAX_CSR_PEM_CHARS}`);
  let blocks;
  try {
    blocks = pemBlocks(pem);
  } catch (error) {
    reject(`CSR is not readable PEM: ${error instanceof Error ? error.message : String(error)}`);
  }
  const csrs = blocks.filter((b) => CSR_LABELS.has(b.label));
  const [only] = csrs;
  if (only === undefined || blocks.length !== 1) {
    reject("send exactly one PEM block labelled CERTIFICATE REQUEST (a PKCS#10 request, e.g. from `openssl req`)");
  }
  return only.der;
}

/**
 * Checks a device's CSR for `upn` and returns what issuance needs. Throws CertificateRequestRejectedError (a 400 at the
 * edge, a terminal failure in the orchestration) with a reason the user can act on.
 */
export async function checkDeviceCsr(pem: string, upn: Upn): Promise<DeviceCsr> {
  const csrDer = csrDerFromPem(pem);
  let csr: Pkcs10CertificateRequest;
  try {
    csr = new Pkcs10CertificateRequest(new Uint8Array(csrDer));
  } catch {
    reject("CSR is not a readable PKCS#10 request");
  }
  const spki = new Uint8Array(csr.publicKey.rawData);
  let modulusBits: number;
  try {
    modulusBits = assertRsaPublicKey(spki, "CSR public key");
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    reject(`${why} (the VPN gateway takes RSA client certificates only, 2048 bits or more)`);
  }
  if (!(await csr.verify(webcrypto))) reject("CSR signature does not verify");
  assertNamesOnly(csr, upn);
  const canonical = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }).export({
    type: "spki",
    format: "der",
  });
  return { csrDer, publicKeySha256: createHash("sha256").update(canonical).digest("hex"), modulusBits };
}

/**
 * A request that names anyone but the caller is refused, so a CSR made for mallory never becomes anything: the CN,
 * a subject e-mail, and the requested SAN's e-mail/UPN entries must be the caller's UPN (compared without case) or
 * absent. Other SAN kinds (DNS names, IPs) are not identities of a user; they are dropped with the other extensions.
 */
function assertNamesOnly(csr: Pkcs10CertificateRequest, upn: Upn): void {
  const own = upn.toLowerCase();
  const foreign = (name: string): boolean => name.trim().toLowerCase() !== own;
  const subject = csr.subjectName;
  const commonNames = subject.getField(OID_COMMON_NAME);
  const emails = subject.getField(OID_EMAIL_ADDRESS);
  for (const name of [...commonNames, ...emails]) {
    if (foreign(name)) reject(`CSR subject names '${name}', but your token is for ${upn}: make the CSR for yourself`);
  }
  let names: readonly GeneralName[] | undefined;
  try {
    const san = csr.getExtension(OID_SUBJECT_ALT_NAME);
    if (san === null) return;
    if (san instanceof SubjectAlternativeNameExtension) names = san.names.items;
  } catch {
    // @peculiar/x509 parses the requested extensions when one is first asked for, here: a malformed one throws.
  }
  if (names === undefined) reject("CSR's requested extensions are not readable");
  for (const name of names) {
    if ((name.type === "email" || name.type === "upn") && foreign(name.value)) {
      reject(`CSR asks for the alternative name '${name.value}', but your token is for ${upn}`);
    }
  }
}
