// A minimal DER walker that returns the exact encoded bytes of a certificate's parts. Chain builders (Windows in
// particular) match an issuer by its encoded name, and signatures cover the TBS bytes as encoded: both checks need
// the original bytes, not a re-serialisation by an ASN.1 library.

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

export interface CertificateParts {
  /** The signed TBSCertificate, as encoded. */
  readonly tbs: Uint8Array;
  /** Content octets of the outer signatureAlgorithm's OID. */
  readonly signatureAlgorithmOid: Uint8Array;
  /** The AlgorithmIdentifier inside the TBS, whole; must equal the outer one. */
  readonly tbsSignatureAlgorithm: Uint8Array;
  readonly outerSignatureAlgorithm: Uint8Array;
  /** The signature value without the BIT STRING's unused-bits octet. */
  readonly signature: Uint8Array;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly subjectPublicKeyInfo: Uint8Array;
}

const SEQUENCE = 0x30;
const BIT_STRING = 0x03;
const INTEGER = 0x02;
const OID = 0x06;
const VERSION_TAG = 0xa0;

export function certificateParts(der: Uint8Array): CertificateParts {
  const outer = readTlv(der, 0, SEQUENCE);
  if (outer.end !== der.length) throw new Error("certificate DER has trailing bytes");
  const [tbsTlv, algTlv, sigTlv, extra] = childrenOf(der, outer);
  if (tbsTlv?.tag !== SEQUENCE || algTlv?.tag !== SEQUENCE || sigTlv?.tag !== BIT_STRING || extra !== undefined) {
    throw new Error("certificate DER is not SEQUENCE { tbs, algorithm, signature }");
  }
  const fields = childrenOf(der, tbsTlv);
  let i = fields[0]?.tag === VERSION_TAG ? 1 : 0;
  const serial = fields[i++];
  const tbsAlg = fields[i++];
  const issuer = fields[i++];
  const validity = fields[i++];
  const subject = fields[i++];
  const spki = fields[i];
  if (
    serial?.tag !== INTEGER ||
    tbsAlg?.tag !== SEQUENCE ||
    issuer?.tag !== SEQUENCE ||
    validity?.tag !== SEQUENCE ||
    subject?.tag !== SEQUENCE ||
    spki?.tag !== SEQUENCE
  ) {
    throw new Error("certificate TBS does not have the X.509 field layout");
  }
  const [oid] = childrenOf(der, algTlv);
  if (oid?.tag !== OID) throw new Error("certificate signature algorithm has no OID");
  if (der[sigTlv.contentStart] !== 0) throw new Error("certificate signature BIT STRING has unused bits");
  return {
    tbs: bytesOf(der, tbsTlv),
    signatureAlgorithmOid: der.slice(oid.contentStart, oid.end),
    tbsSignatureAlgorithm: bytesOf(der, tbsAlg),
    outerSignatureAlgorithm: bytesOf(der, algTlv),
    signature: der.slice(sigTlv.contentStart + 1, sigTlv.end),
    issuer: bytesOf(der, issuer),
    subject: bytesOf(der, subject),
    subjectPublicKeyInfo: bytesOf(der, spki),
  };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0; // different lengths never compare equal
}

function bytesOf(der: Uint8Array, tlv: Tlv): Uint8Array {
  return der.slice(tlv.start, tlv.end);
}

function childrenOf(der: Uint8Array, parent: Tlv): Tlv[] {
  const children: Tlv[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readTlv(der, offset);
    if (child.end > parent.end) throw new Error("DER element overruns its parent");
    children.push(child);
    offset = child.end;
  }
  return children;
}

function readTlv(der: Uint8Array, offset: number, expectedTag?: number): Tlv {
  const tag = der[offset];
  let first = der[offset + 1];
  if (tag === undefined || first === undefined) throw new Error("DER is truncated");
  if ((tag & 0x1f) === 0x1f) throw new Error("DER high tag numbers are not used in certificates");
  if (expectedTag !== undefined && tag !== expectedTag)
    throw new Error(`DER tag 0x${tag.toString(16)} where 0x${expectedTag.toString(16)} was expected`);
  let contentStart = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error("DER length is indefinite or too long");
    length = 0;
    for (let k = 0; k < count; k++) {
      first = der[contentStart + k];
      if (first === undefined) throw new Error("DER is truncated");
      length = length * 256 + first;
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error("DER is truncated");
  return { tag, start: offset, contentStart, end };
}
