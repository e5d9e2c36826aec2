// An unencrypted PKCS#12 (RFC 7292) with an empty-password HMAC-SHA256 integrity MAC: what a Key Vault certificate
// secret of type application/x-pkcs12 holds (no password). Bags are plain: a KeyBag with the PKCS#8 key, when
// the key is exportable, and one CertBag per chain certificate, leaf first, the leaf tied to the key by localKeyId.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { explicit, integer, nullValue, octetString, oid, sequence, setOf } from "./der";

const ID_DATA = "1.2.840.113549.1.7.1";
const ID_KEY_BAG = "1.2.840.113549.1.12.10.1.1";
const ID_CERT_BAG = "1.2.840.113549.1.12.10.1.3";
const ID_X509_CERTIFICATE = "1.2.840.113549.1.9.22.1";
const ID_LOCAL_KEY_ID = "1.2.840.113549.1.9.21";
const ID_SHA256 = "2.16.840.1.101.3.4.2.1";
const MAC_ITERATIONS = 2048;
/** SHA-256 block size (v) and output size (u) in the RFC 7292 appendix B key derivation. */
const BLOCK = 64;
const HASH_LENGTH = 32;

export interface Pkcs12Content {
  /** DER certificates, leaf first. */
  readonly certificates: readonly Buffer[];
  /** PKCS#8 DER of the leaf's private key; absent for a non-exportable key. */
  readonly privateKeyPkcs8?: Buffer;
}

export function buildPkcs12(content: Pkcs12Content): Buffer {
  const leaf = content.certificates[0];
  const localKeyId = leaf === undefined ? undefined : createHash("sha1").update(leaf).digest();
  const bags: Buffer[] = [];
  if (content.privateKeyPkcs8 !== undefined) {
    bags.push(safeBag(ID_KEY_BAG, content.privateKeyPkcs8, localKeyId));
  }
  content.certificates.forEach((certificate, index) => {
    const certBag = sequence(oid(ID_X509_CERTIFICATE), explicit(0, octetString(certificate)));
    bags.push(safeBag(ID_CERT_BAG, certBag, index === 0 ? localKeyId : undefined));
  });
  const authenticatedSafe = sequence(dataContentInfo(sequence(...bags)));
  const salt = randomBytes(16);
  const mac = createHmac("sha256", macKey(salt, MAC_ITERATIONS)).update(authenticatedSafe).digest();
  const macData = sequence(
    sequence(sequence(oid(ID_SHA256), nullValue()), octetString(mac)),
    octetString(salt),
    integer(MAC_ITERATIONS),
  );
  return sequence(integer(3), dataContentInfo(authenticatedSafe), macData);
}

function dataContentInfo(content: Buffer): Buffer {
  return sequence(oid(ID_DATA), explicit(0, octetString(content)));
}

function safeBag(bagId: string, value: Buffer, localKeyId: Buffer | undefined): Buffer {
  const attributes =
    localKeyId === undefined ? [] : [setOf(sequence(oid(ID_LOCAL_KEY_ID), setOf(octetString(localKeyId))))];
  return sequence(oid(bagId), explicit(0, value), ...attributes);
}

/**
 * RFC 7292 appendix B.2 with ID 3 (MAC key) for the empty password, which is encoded as the BMPString terminator
 * alone (two zero bytes). One hash output is exactly the HMAC-SHA256 key length, so one round suffices.
 */
function macKey(salt: Buffer, iterations: number): Buffer {
  const diversifier = Buffer.alloc(BLOCK, 3);
  const input = Buffer.concat([repeatToBlocks(salt), repeatToBlocks(Buffer.alloc(2))]);
  let digest = Buffer.concat([diversifier, input]);
  for (let round = 0; round < iterations; round += 1) digest = createHash("sha256").update(digest).digest();
  return digest.subarray(0, HASH_LENGTH);
}

function repeatToBlocks(data: Buffer): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const size = Math.ceil(data.length / BLOCK) * BLOCK;
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) out[i] = data[i % data.length] ?? 0;
  return out;
}
