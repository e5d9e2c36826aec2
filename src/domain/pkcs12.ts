// Password-protected PKCS#12 (PFX) files for users: their private key, their certificate and the chain.
//
// Modes:
// - "aes256" (default): key bag and certificate SafeContents both under PBES2 = PBKDF2-HMAC-SHA256 +
//   AES-256-CBC; MAC HMAC-SHA256 keyed by the PKCS#12 KDF. Opens in Windows 10 1709+/Server 2019+, OpenSSL 1.1+/3,
//   macOS 14+ and current Android.
// - "legacy3des": both under pbeWithSHAAnd3-KeyTripleDES-CBC, MAC HMAC-SHA1, for older macOS keychains and
//   Android versions that cannot read PBES2. OpenSSL 3 reads it WITHOUT -legacy (3DES is in its default provider;
//   only RC2/RC4 need -legacy). Choose it only on request: 3DES with an SHA-1 KDF is weak against offline guessing.
//
// Iterations: 100,000 by default for AES, the same count for PBKDF2 on both bags and for the MAC (300,000 in all).
// Not higher because loaders cap PKCS#12 work per file (.NET's Pkcs12LoaderLimits has per-KDF and total limits);
// 2,048 for legacy, the OpenSSL and Windows default the old clients were built against. The passphrase's strength
// matters more than the count.
//
// The key bag and the leaf's certificate bag carry the same localKeyId (SHA-1 of the leaf DER, as OpenSSL does)
// and the friendlyName, which is what Windows and macOS show. Chain certificates carry no attributes.
import "reflect-metadata";
import { createPrivateKey, randomBytes } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  ContentEncryptionAlgorithmIdentifier,
  ContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
} from "@peculiar/asn1-cms";
import {
  AuthenticatedSafe,
  CertBag,
  MacData,
  PFX,
  PKCS12Attribute,
  PKCS8ShroudedKeyBag,
  SafeBag,
  SafeContents,
} from "@peculiar/asn1-pfx";
import { EncryptedData } from "@peculiar/asn1-pkcs8";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { OctetString } from "@peculiar/asn1-schema";
import { certificateParts, sameBytes } from "./certificate-der";
import { BmpStringValue, CmsEncryptedData, DER_NULL, OID, OctetStringValue } from "./pkcs12-asn1";
import { encryptWithPassword, passwordForms, toArrayBuffer, zeroise } from "./pkcs12-cipher";
import type { Pkcs12Encryption, PasswordForms } from "./pkcs12-cipher";
import { computeMac } from "./pkcs12-kdf";
import type { Pkcs12KdfHash } from "./pkcs12-kdf";
import { spkiOfPrivateKey } from "./rsa-public-key";
import { thumbprintOf } from "./thumbprint";

export type { Pkcs12Encryption } from "./pkcs12-cipher";

export const DEFAULT_PKCS12_ITERATIONS: Readonly<Record<Pkcs12Encryption, number>> = {
  aes256: 100_000,
  legacy3des: 2_048,
};
export const MIN_PKCS12_ITERATIONS = 1_000;
export const MAX_PKCS12_ITERATIONS = 1_000_000;
const MAX_PASSWORD_LENGTH = 1_024;
const MAX_FRIENDLY_NAME_LENGTH = 256;

export interface Pkcs12Input {
  /** PKCS#8 DER (unencrypted). The caller zeroises it after the call. */
  readonly privateKey: Uint8Array;
  /** The leaf certificate, DER; its public key must match `privateKey`. */
  readonly certificate: Uint8Array;
  /** Issuer certificates, DER, leaf's issuer first (for P2S: the root). */
  readonly chain?: readonly Uint8Array[];
  readonly friendlyName?: string;
  /** Non-empty. Never logged. */
  readonly password: string;
  readonly encryption?: Pkcs12Encryption;
  /** Defaults to DEFAULT_PKCS12_ITERATIONS[encryption]; 1,000-1,000,000. */
  readonly iterations?: number;
}

export async function buildPkcs12(input: Pkcs12Input): Promise<Uint8Array> {
  const encryption = input.encryption ?? "aes256";
  const iterations = input.iterations ?? DEFAULT_PKCS12_ITERATIONS[encryption];
  checkInput(input, iterations);
  const password = passwordForms(input.password);
  try {
    const localKeyId = Buffer.from(thumbprintOf(input.certificate), "hex");
    const leafAttributes = attributes(localKeyId, input.friendlyName);

    const keyContent = await encryptWithPassword(input.privateKey, password, encryption, iterations);
    const keyBag = new SafeBag({
      bagId: OID.pkcs8ShroudedKeyBag,
      bagValue: AsnConvert.serialize(
        new PKCS8ShroudedKeyBag({
          encryptionAlgorithm: keyContent.algorithm,
          encryptedData: new EncryptedData(toArrayBuffer(keyContent.ciphertext)),
        }),
      ),
      bagAttributes: leafAttributes,
    });

    const certBags = [input.certificate, ...(input.chain ?? [])].map(
      (der, index) =>
        new SafeBag({
          bagId: OID.certBag,
          bagValue: AsnConvert.serialize(
            new CertBag({
              certId: OID.x509Certificate,
              certValue: AsnConvert.serialize(new OctetStringValue(toArrayBuffer(der))),
            }),
          ),
          ...(index === 0 ? { bagAttributes: leafAttributes } : {}),
        }),
    );
    const certContents = await encryptWithPassword(
      new Uint8Array(AsnConvert.serialize(new SafeContents(certBags))),
      password,
      encryption,
      iterations,
    );
    const encryptedCerts = new CmsEncryptedData({
      version: 0,
      encryptedContentInfo: new EncryptedContentInfo({
        contentType: OID.data,
        contentEncryptionAlgorithm: new ContentEncryptionAlgorithmIdentifier({
          algorithm: certContents.algorithm.algorithm,
          parameters: certContents.algorithm.parameters,
        }),
        encryptedContent: new EncryptedContent({ value: new OctetString(toArrayBuffer(certContents.ciphertext)) }),
      }),
    });

    const keyContents = AsnConvert.serialize(new SafeContents([keyBag]));
    const authenticatedSafe = new Uint8Array(
      AsnConvert.serialize(
        new AuthenticatedSafe([
          new ContentInfo({ contentType: OID.encryptedData, content: AsnConvert.serialize(encryptedCerts) }),
          new ContentInfo({ contentType: OID.data, content: AsnConvert.serialize(new OctetStringValue(keyContents)) }),
        ]),
      ),
    );

    const pfx = new PFX({
      version: 3,
      authSafe: new ContentInfo({
        contentType: OID.data,
        content: AsnConvert.serialize(new OctetStringValue(toArrayBuffer(authenticatedSafe))),
      }),
      macData: macData(encryption === "aes256" ? "sha256" : "sha1", password, authenticatedSafe, iterations),
    });
    return new Uint8Array(AsnConvert.serialize(pfx));
  } finally {
    zeroise(password);
  }
}

const MAC_HASH_OID: Readonly<Record<Pkcs12KdfHash, string>> = {
  sha1: OID.sha1,
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};

function macData(hash: Pkcs12KdfHash, password: PasswordForms, content: Uint8Array, iterations: number): MacData {
  const [bmp] = password.bmp;
  if (bmp === undefined) throw new Error("no BMPString form of the password");
  const salt = randomBytes(hash === "sha1" ? 8 : 16);
  const data = new MacData({ macSalt: new OctetString(toArrayBuffer(salt)), iterations });
  data.mac.digestAlgorithm = new AlgorithmIdentifier({ algorithm: MAC_HASH_OID[hash], parameters: DER_NULL });
  data.mac.digest = new OctetString(toArrayBuffer(computeMac(hash, bmp, salt, iterations, content)));
  return data;
}

function attributes(localKeyId: Uint8Array, friendlyName: string | undefined): PKCS12Attribute[] {
  const list = [attribute(OID.localKeyId, AsnConvert.serialize(new OctetStringValue(toArrayBuffer(localKeyId))))];
  if (friendlyName !== undefined)
    list.push(attribute(OID.friendlyName, AsnConvert.serialize(new BmpStringValue(friendlyName))));
  return list;
}

// Set field by field: PKCS12Attribute's constructor in @peculiar/asn1-pfx 2.11 ignores its params argument.
function attribute(attrId: string, value: ArrayBuffer): PKCS12Attribute {
  const result = new PKCS12Attribute();
  result.attrId = attrId;
  result.attrValues = [value];
  return result;
}

function checkInput(input: Pkcs12Input, iterations: number): void {
  if (input.password === "") throw new Error("a PKCS#12 for a user needs a non-empty passphrase");
  if (input.password.length > MAX_PASSWORD_LENGTH)
    throw new Error(`passphrase is longer than ${MAX_PASSWORD_LENGTH} characters`);
  if (!Number.isInteger(iterations) || iterations < MIN_PKCS12_ITERATIONS || iterations > MAX_PKCS12_ITERATIONS) {
    throw new Error(`PKCS#12 iterations must be ${MIN_PKCS12_ITERATIONS}-${MAX_PKCS12_ITERATIONS}, got ${iterations}`);
  }
  if (input.friendlyName !== undefined) {
    if (input.friendlyName === "" || input.friendlyName.length > MAX_FRIENDLY_NAME_LENGTH) {
      throw new Error(`friendly name must be 1-${MAX_FRIENDLY_NAME_LENGTH} characters`);
    }
    // BMPString cannot carry characters outside the Basic Multilingual Plane.
    if (/[\ud800-\udfff]/.test(input.friendlyName)) throw new Error("friendly name must stay within the BMP");
  }
  try {
    const { buffer, byteOffset, byteLength } = input.privateKey;
    createPrivateKey({ key: Buffer.from(buffer, byteOffset, byteLength), format: "der", type: "pkcs8" });
  } catch {
    throw new Error("private key is not a readable PKCS#8 key");
  }
  const leaf = certificateParts(input.certificate);
  for (const der of input.chain ?? []) certificateParts(der);
  if (!sameBytes(spkiOfPrivateKey(input.privateKey), leaf.subjectPublicKeyInfo)) {
    throw new Error("private key does not match the certificate's public key");
  }
}
