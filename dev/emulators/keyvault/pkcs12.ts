// An unencrypted PKCS#12 (RFC 7292) with an empty-password HMAC-SHA256 integrity MAC: what a Key Vault certificate
// secret of type application/x-pkcs12 holds (no password). Bags are plain: a KeyBag with the PKCS#8 key, when the key
// is exportable, and one CertBag per chain certificate, leaf first, the leaf tied to the key by localKeyId. Built by
// pkijs (its PKCS#12 key derivation and HMAC over Node's WebCrypto), as src/domain/pkcs12-aes.ts builds the app's.
import { createHash, webcrypto } from "node:crypto";
import * as asn1js from "asn1js";
import { Attribute, AuthenticatedSafe, CertBag, CryptoEngine, PFX, PrivateKeyInfo, SafeBag, SafeContents } from "pkijs";

const OID = {
  keyBag: "1.2.840.113549.1.12.10.1.1",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  localKeyId: "1.2.840.113549.1.9.21",
} as const;

const MAC_ITERATIONS = 2048;

// An engine of our own rather than pkijs's global one, so nothing else in the process can swap it.
const engine = new CryptoEngine({ name: "node-webcrypto", crypto: webcrypto });

export interface Pkcs12Content {
  /** DER certificates, leaf first. */
  readonly certificates: readonly Buffer[];
  /** PKCS#8 DER of the leaf's private key; absent for a non-exportable key. */
  readonly privateKeyPkcs8?: Buffer;
}

export async function buildPkcs12(content: Pkcs12Content): Promise<Buffer> {
  const leaf = content.certificates[0];
  const leafAttributes =
    leaf === undefined
      ? []
      : [
          new Attribute({
            type: OID.localKeyId,
            values: [new asn1js.OctetString({ valueHex: toArrayBuffer(createHash("sha1").update(leaf).digest()) })],
          }),
        ];
  const bags: SafeBag[] = [];
  if (content.privateKeyPkcs8 !== undefined) {
    const key = PrivateKeyInfo.fromBER(toArrayBuffer(content.privateKeyPkcs8));
    bags.push(new SafeBag({ bagId: OID.keyBag, bagValue: key, bagAttributes: leafAttributes }));
  }
  content.certificates.forEach((der, index) => {
    bags.push(
      new SafeBag({
        bagId: OID.certBag,
        // certValue, not parsedValue: the DER goes in as issued, never re-encoded.
        bagValue: new CertBag({
          certId: OID.x509Certificate,
          certValue: new asn1js.OctetString({ valueHex: toArrayBuffer(der) }),
        }),
        ...(index === 0 ? { bagAttributes: leafAttributes } : {}),
      }),
    );
  });
  const authenticatedSafe = new AuthenticatedSafe({
    parsedValue: { safeContents: [{ privacyMode: 0, value: new SafeContents({ safeBags: bags }) }] },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [{}] }, engine);
  const pfx = new PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  // The empty password: pkijs's PKCS#12 KDF encodes it as the BMPString terminator alone, as OpenSSL does for "".
  await pfx.makeInternalValues(
    {
      password: new ArrayBuffer(0),
      iterations: MAC_ITERATIONS,
      pbkdf2HashAlgorithm: { name: "SHA-256" },
      hmacHashAlgorithm: "SHA-256",
    },
    engine,
  );
  return Buffer.from(pfx.toSchema().toBER(false));
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
