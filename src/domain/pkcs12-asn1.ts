// ASN.1 structures PKCS#12 needs that the @peculiar/asn1-* packages do not define: PBES2 and PBKDF2 parameters
// (RFC 8018), PKCS#12 PBE parameters (RFC 7292 appendix C), CMS EncryptedData (RFC 5652 section 8), and the two
// attribute value types (BMPString friendlyName, OCTET STRING localKeyId).
import "reflect-metadata";
import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from "@peculiar/asn1-schema";
import { EncryptedContentInfo } from "@peculiar/asn1-cms";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";

export const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSHA1: "1.2.840.113549.2.7",
  hmacWithSHA224: "1.2.840.113549.2.8",
  hmacWithSHA256: "1.2.840.113549.2.9",
  hmacWithSHA384: "1.2.840.113549.2.10",
  hmacWithSHA512: "1.2.840.113549.2.11",
  aes128Cbc: "2.16.840.1.101.3.4.1.2",
  aes192Cbc: "2.16.840.1.101.3.4.1.22",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
  desEde3Cbc: "1.2.840.113549.3.7",
  pbeWithSHAAnd3KeyTripleDESCBC: "1.2.840.113549.1.12.1.3",
  pbeWithSHAAnd2KeyTripleDESCBC: "1.2.840.113549.1.12.1.4",
  pbeWithSHAAnd128BitRC2CBC: "1.2.840.113549.1.12.1.5",
  pbeWithSHAAnd40BitRC2CBC: "1.2.840.113549.1.12.1.6",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  safeContentsBag: "1.2.840.113549.1.12.10.1.6",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
} as const;

/** DER of ASN.1 NULL, the parameters of hash and HMAC algorithm identifiers. */
export const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

export class Pbkdf2Params {
  // Only the `specified` (OCTET STRING) choice of salt is used in practice; `otherSource` fails to parse.
  @AsnProp({ type: AsnPropTypes.OctetString }) salt: ArrayBuffer = new ArrayBuffer(0);
  @AsnProp({ type: AsnPropTypes.Integer }) iterationCount = 0;
  @AsnProp({ type: AsnPropTypes.Integer, optional: true }) keyLength?: number;
  @AsnProp({ type: AlgorithmIdentifier, optional: true }) prf?: AlgorithmIdentifier;

  constructor(params: Partial<Pbkdf2Params> = {}) {
    Object.assign(this, params);
  }
}

export class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier }) keyDerivationFunc = new AlgorithmIdentifier();
  @AsnProp({ type: AlgorithmIdentifier }) encryptionScheme = new AlgorithmIdentifier();

  constructor(params: Partial<Pbes2Params> = {}) {
    Object.assign(this, params);
  }
}

export class Pkcs12PbeParams {
  @AsnProp({ type: AsnPropTypes.OctetString }) salt: ArrayBuffer = new ArrayBuffer(0);
  @AsnProp({ type: AsnPropTypes.Integer }) iterations = 0;

  constructor(params: Partial<Pkcs12PbeParams> = {}) {
    Object.assign(this, params);
  }
}

export class CmsEncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer }) version = 0;
  @AsnProp({ type: EncryptedContentInfo }) encryptedContentInfo = new EncryptedContentInfo();

  constructor(params: Partial<CmsEncryptedData> = {}) {
    Object.assign(this, params);
  }
}

// A CHOICE with one alternative serialises as that alternative alone: a bare BMPString / OCTET STRING.
@AsnType({ type: AsnTypeTypes.Choice })
export class BmpStringValue {
  @AsnProp({ type: AsnPropTypes.BmpString }) value = "";

  constructor(value = "") {
    this.value = value;
  }
}

@AsnType({ type: AsnTypeTypes.Choice })
export class OctetStringValue {
  @AsnProp({ type: AsnPropTypes.OctetString }) value: ArrayBuffer = new ArrayBuffer(0);

  constructor(value: ArrayBuffer = new ArrayBuffer(0)) {
    this.value = value;
  }
}
