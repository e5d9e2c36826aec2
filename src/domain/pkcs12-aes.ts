// The "aes256" PKCS#12 profile, built by pkijs over Node's WebCrypto: key bag and certificate SafeContents both
// under PBES2 = PBKDF2-HMAC-SHA256 + AES-256-CBC (fresh random salt and IV for each), MAC HMAC-SHA256 keyed by the
// PKCS#12 KDF with a fresh random salt. The same iteration count for both PBKDF2 runs and the MAC.
// pkijs's MAC key derivation is synchronous JavaScript: this module runs on the PKCS#12 worker thread only.
import { createHash, webcrypto } from "node:crypto";
import * as asn1js from "asn1js";
import {
  Attribute,
  AuthenticatedSafe,
  CertBag,
  CryptoEngine,
  PFX,
  PKCS8ShroudedKeyBag,
  PrivateKeyInfo,
  SafeBag,
  SafeContents,
} from "pkijs";
import type { Pkcs12Job } from "./pkcs12-job";

const OID = {
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
} as const;

// An engine of our own rather than pkijs's global one, so nothing else in the process can swap it.
const engine = new CryptoEngine({ name: "node-webcrypto", crypto: webcrypto });

export async function buildAesPkcs12(job: Pkcs12Job): Promise<Uint8Array> {
  const [leaf] = job.certificates;
  if (leaf === undefined) throw new Error("no certificate");
  // PBES2 takes the passphrase as UTF-8 (RFC 8018); pkijs turns the same bytes into a BMPString for the MAC KDF.
  const password = toArrayBuffer(new TextEncoder().encode(job.password));
  const encryption = {
    password,
    contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 },
    hmacHashAlgorithm: "SHA-256",
    iterationCount: job.iterations,
  };
  // The key bag and the leaf's certificate bag share a localKeyId (SHA-1 of the leaf, as OpenSSL does) and the
  // friendlyName Windows and macOS show. Chain certificates carry no attributes.
  const leafAttributes = attributes(createHash("sha1").update(leaf).digest(), job.friendlyName);

  const shrouded = new PKCS8ShroudedKeyBag({ parsedValue: PrivateKeyInfo.fromBER(toArrayBuffer(job.privateKey)) });
  await shrouded.makeInternalValues(encryption, engine);
  const keyBag = new SafeBag({ bagId: OID.pkcs8ShroudedKeyBag, bagValue: shrouded, bagAttributes: leafAttributes });
  const certBags = job.certificates.map(
    (der, index) =>
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

  const authenticatedSafe = new AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        { privacyMode: 1, value: new SafeContents({ safeBags: certBags }) },
        // The key bag is already shrouded: its SafeContents goes in as plain data, as OpenSSL writes it.
        { privacyMode: 0, value: new SafeContents({ safeBags: [keyBag] }) },
      ],
    },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [encryption, {}] }, engine);
  const pfx = new PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues(
    { password, iterations: job.iterations, pbkdf2HashAlgorithm: { name: "SHA-256" }, hmacHashAlgorithm: "SHA-256" },
    engine,
  );
  return new Uint8Array(pfx.toSchema().toBER(false));
}

function attributes(localKeyId: Uint8Array, friendlyName: string | undefined): Attribute[] {
  const list = [
    new Attribute({ type: OID.localKeyId, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(localKeyId) })] }),
  ];
  if (friendlyName !== undefined) {
    list.push(new Attribute({ type: OID.friendlyName, values: [new asn1js.BmpString({ value: friendlyName })] }));
  }
  return list;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
