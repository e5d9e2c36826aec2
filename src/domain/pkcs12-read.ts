// Reads a PKCS#12 file into its private keys and certificates: the form in which Key Vault returns an exportable
// certificate's secret (application/x-pkcs12, base64, no password), and the files this app and OpenSSL write.
// The MAC is verified first (it also tells which of the two empty-password conventions applies). Supported
// encryptions are listed in pkcs12-cipher. Limits: DER or definite-length BER only; only X.509 certificate bags.
import "reflect-metadata";
import { AsnConvert } from "@peculiar/asn1-schema";
import { ContentInfo } from "@peculiar/asn1-cms";
import { AuthenticatedSafe, CertBag, PFX, PKCS8ShroudedKeyBag, SafeContents } from "@peculiar/asn1-pfx";
import type { PKCS12Attribute, SafeBag } from "@peculiar/asn1-pfx";
import { BmpStringValue, CmsEncryptedData, OID, OctetStringValue } from "./pkcs12-asn1";
import { decryptWithPassword, passwordForms, zeroise } from "./pkcs12-cipher";
import type { PasswordForms } from "./pkcs12-cipher";
import { computeMac } from "./pkcs12-kdf";
import type { Pkcs12KdfHash } from "./pkcs12-kdf";

export interface Pkcs12Item {
  readonly der: Uint8Array;
  /** Hex of the localKeyId attribute, when present. */
  readonly localKeyId: string | undefined;
  readonly friendlyName: string | undefined;
}

export interface Pkcs12Contents {
  /** PKCS#8 DER of each private key. The caller zeroises them after use. */
  readonly privateKeys: readonly Pkcs12Item[];
  readonly certificates: readonly Pkcs12Item[];
}

export class Pkcs12ReadError extends Error {
  override readonly name = "Pkcs12ReadError";
}

const MAC_HASHES: ReadonlyMap<string, Pkcs12KdfHash> = new Map([
  [OID.sha1, "sha1"],
  [OID.sha256, "sha256"],
  [OID.sha384, "sha384"],
  [OID.sha512, "sha512"],
]);
const MAX_ITEMS = 64;
const MAX_NESTING = 4;

/** `password` "" reads the password-less files Key Vault and Windows produce. */
export async function readPkcs12(pfxDer: Uint8Array, password = ""): Promise<Pkcs12Contents> {
  const pfx = parse(pfxDer, PFX, "PKCS#12");
  if (pfx.version !== 3) throw new Pkcs12ReadError(`PKCS#12 version ${pfx.version} is not supported`);
  if (pfx.authSafe.contentType !== OID.data) {
    throw new Pkcs12ReadError("PKCS#12 with public-key integrity (signed authSafe) is not supported");
  }
  const authSafeBytes = octets(pfx.authSafe.content, "authSafe");
  const forms = passwordForms(password);
  try {
    const matched = verifyMac(pfx, authSafeBytes, forms);
    const reader = new Reader(matched);
    for (const info of parse(authSafeBytes, AuthenticatedSafe, "AuthenticatedSafe")) await reader.readContentInfo(info);
    return { privateKeys: reader.keys, certificates: reader.certificates };
  } finally {
    zeroise(forms);
  }
}

// Returns the password forms to use for decryption: the one the MAC verified with, or all when there is no MAC.
function verifyMac(pfx: PFX, content: Uint8Array, forms: PasswordForms): PasswordForms {
  const mac = pfx.macData;
  const expected = new Uint8Array(mac.mac.digest.buffer);
  if (expected.length === 0) return forms; // no MacData: integrity rests on the decryption padding checks
  const hash = MAC_HASHES.get(mac.mac.digestAlgorithm.algorithm);
  if (hash === undefined)
    throw new Pkcs12ReadError(`unsupported PKCS#12 MAC algorithm ${mac.mac.digestAlgorithm.algorithm}`);
  const salt = new Uint8Array(mac.macSalt.buffer);
  for (const bmp of forms.bmp) {
    const actual = computeMac(hash, bmp, salt, mac.iterations, content);
    if (actual.length === expected.length && Buffer.compare(actual, expected) === 0)
      return { utf8: forms.utf8, bmp: [bmp] };
  }
  throw new Pkcs12ReadError("PKCS#12 MAC does not verify: wrong password or damaged file");
}

class Reader {
  readonly keys: Pkcs12Item[] = [];
  readonly certificates: Pkcs12Item[] = [];

  constructor(private readonly password: PasswordForms) {}

  async readContentInfo(info: ContentInfo): Promise<void> {
    if (info.contentType === OID.data) {
      await this.readSafeContents(octets(info.content, "SafeContents"), 0);
      return;
    }
    if (info.contentType !== OID.encryptedData) {
      throw new Pkcs12ReadError(
        `unsupported PKCS#12 content type ${info.contentType} (public-key privacy is not supported)`,
      );
    }
    const encrypted = parse(new Uint8Array(info.content), CmsEncryptedData, "EncryptedData").encryptedContentInfo;
    const content = encrypted.encryptedContent;
    const parts = content?.value ? [content.value] : (content?.constructedValue ?? []);
    const ciphertext = Buffer.concat(parts.map((p) => new Uint8Array(p.buffer)));
    const plain = await this.decrypt(encrypted.contentEncryptionAlgorithm, ciphertext);
    try {
      await this.readSafeContents(plain, 0);
    } finally {
      plain.fill(0);
    }
  }

  private async readSafeContents(der: Uint8Array, depth: number): Promise<void> {
    if (depth > MAX_NESTING) throw new Pkcs12ReadError("PKCS#12 SafeContents are nested too deeply");
    for (const bag of parse(der, SafeContents, "SafeContents")) await this.readBag(bag, depth);
  }

  private async readBag(bag: SafeBag, depth: number): Promise<void> {
    if (this.keys.length + this.certificates.length >= MAX_ITEMS)
      throw new Pkcs12ReadError("PKCS#12 holds too many items");
    const value = new Uint8Array(bag.bagValue);
    const attributes = readAttributes(bag.bagAttributes ?? []);
    switch (bag.bagId) {
      case OID.keyBag:
        this.keys.push({ der: value.slice(), ...attributes });
        value.fill(0);
        return;
      case OID.pkcs8ShroudedKeyBag: {
        const shrouded = parse(value, PKCS8ShroudedKeyBag, "PKCS8ShroudedKeyBag");
        const pkcs8 = await this.decrypt(shrouded.encryptionAlgorithm, new Uint8Array(shrouded.encryptedData.buffer));
        this.keys.push({ der: pkcs8, ...attributes });
        return;
      }
      case OID.certBag: {
        const certBag = parse(value, CertBag, "CertBag");
        if (certBag.certId !== OID.x509Certificate) return; // SDSI certificates: not used by anyone we read from
        this.certificates.push({ der: octets(certBag.certValue, "certificate"), ...attributes });
        return;
      }
      case OID.safeContentsBag:
        await this.readSafeContents(value, depth + 1);
        return;
      default:
        return; // CRL and secret bags carry nothing we use
    }
  }

  private async decrypt(
    algorithm: Parameters<typeof decryptWithPassword>[0],
    ciphertext: Uint8Array,
  ): Promise<Uint8Array> {
    try {
      return await decryptWithPassword(algorithm, ciphertext, this.password);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Pkcs12ReadError(`cannot decrypt PKCS#12 content (${reason}): wrong password or unsupported encryption`);
    }
  }
}

function readAttributes(list: readonly PKCS12Attribute[]): Pick<Pkcs12Item, "localKeyId" | "friendlyName"> {
  let localKeyId: string | undefined;
  let friendlyName: string | undefined;
  for (const attribute of list) {
    const [first] = attribute.attrValues;
    if (first === undefined) continue;
    if (attribute.attrId === OID.localKeyId) {
      localKeyId = Buffer.from(AsnConvert.parse(first, OctetStringValue).value).toString("hex").toUpperCase();
    } else if (attribute.attrId === OID.friendlyName) {
      friendlyName = AsnConvert.parse(first, BmpStringValue).value;
    }
  }
  return { localKeyId, friendlyName };
}

function octets(encoded: ArrayBuffer, what: string): Uint8Array {
  return new Uint8Array(parse(new Uint8Array(encoded), OctetStringValue, what).value);
}

function parse<T>(der: Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(der, type);
  } catch {
    throw new Pkcs12ReadError(`${what} is not valid ASN.1 of the expected shape`);
  }
}
