// Finds secrets where none may be: private keys (PEM armour, PKCS#1, PKCS#8 and encrypted PKCS#8 DER, bare or in
// base64), PKCS#12 files, JWKs with a private part, and the passphrases a run handed out. Pure. The armour pattern is
// built from parts, so this file itself holds no key armour for scanners to trip on.

/** One thing to scan: text (history, logs, table rows) or bytes (a blob). */
export interface ScannedItem {
  /** Where it was found: "durable history of <id>", "blob <container>/<name>"... */
  readonly where: string;
  readonly text?: string;
  readonly bytes?: Uint8Array;
}

export type SecretKind = "private key (PEM)" | "private key (DER)" | "PKCS#12" | "private JWK" | "passphrase";

export interface SecretFinding {
  readonly where: string;
  readonly kind: SecretKind;
}

const DASHES = "-".repeat(5);
const ARMOUR = new RegExp(`${DASHES}BEGIN (?:RSA |EC |ENCRYPTED |)PRIVATE KEY${DASHES}`);
const BASE64_RUN = /[A-Za-z0-9+/]{96,}={0,2}/g;
const PRIVATE_JWK = /"d"\s*:\s*"[A-Za-z0-9_-]{40,}"/;
/** 1.2.840.113549.1.5.13 (PBES2) and 1.2.840.113549.1.12.1.x (PKCS#12 PBE): an encrypted private key's algorithm. */
const ENCRYPTED_KEY_OIDS = [
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d],
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01],
];

/** The offset just past a DER header at `at` (tag, then a short or long length), or undefined. */
function afterHeader(bytes: Uint8Array, at: number, tag: number): number | undefined {
  if (bytes[at] !== tag) return undefined;
  const first = bytes[at + 1];
  if (first === undefined) return undefined;
  if (first < 0x80) return at + 2;
  const octets = first & 0x7f;
  return octets >= 1 && octets <= 4 ? at + 2 + octets : undefined;
}

/** What a DER value starting at offset 0 is, if it is a secret. */
export function derSecretKind(bytes: Uint8Array): SecretKind | undefined {
  const inner = afterHeader(bytes, 0, 0x30);
  if (inner === undefined) return undefined;
  const [a, b, c] = [bytes[inner], bytes[inner + 1], bytes[inner + 2]];
  // PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, macData }
  if (a === 0x02 && b === 0x01 && c === 0x03 && bytes[inner + 3] === 0x30) return "PKCS#12";
  // RSAPrivateKey and PrivateKeyInfo both open with version 0 right inside the outer SEQUENCE (a CSR's is nested).
  if (a === 0x02 && b === 0x01 && c === 0x00 && (bytes[inner + 3] === 0x02 || bytes[inner + 3] === 0x30)) {
    return "private key (DER)";
  }
  // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm SEQUENCE { OID ... }, encryptedData OCTET STRING }
  const algorithm = afterHeader(bytes, inner, 0x30);
  if (algorithm !== undefined && bytes[algorithm] === 0x06) {
    const oid = Array.from(bytes.subarray(algorithm + 2, algorithm + 2 + (bytes[algorithm + 1] ?? 0)));
    if (ENCRYPTED_KEY_OIDS.some((known) => known.every((byte, i) => oid[i] === byte))) return "private key (DER)";
  }
  return undefined;
}

function textFindings(text: string, passphrases: readonly string[]): SecretKind[] {
  const kinds: SecretKind[] = [];
  if (ARMOUR.test(text)) kinds.push("private key (PEM)");
  if (PRIVATE_JWK.test(text)) kinds.push("private JWK");
  for (const run of text.match(BASE64_RUN) ?? []) {
    const kind = derSecretKind(Buffer.from(run, "base64"));
    if (kind !== undefined) kinds.push(kind);
  }
  // Passphrases shorter than 12 characters are refused by the app; shorter strings would match by chance.
  if (passphrases.some((passphrase) => passphrase.length >= 12 && text.includes(passphrase))) kinds.push("passphrase");
  return kinds;
}

/** Every secret found, one finding per item and kind. */
export function scanForSecrets(items: readonly ScannedItem[], passphrases: readonly string[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const item of items) {
    const kinds = new Set<SecretKind>();
    if (item.bytes !== undefined) {
      const kind = derSecretKind(item.bytes);
      if (kind !== undefined) kinds.add(kind);
      for (const found of textFindings(Buffer.from(item.bytes).toString("latin1"), passphrases)) kinds.add(found);
    }
    if (item.text !== undefined) for (const found of textFindings(item.text, passphrases)) kinds.add(found);
    for (const kind of kinds) findings.push({ where: item.where, kind });
  }
  return findings;
}
