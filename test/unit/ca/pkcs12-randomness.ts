// Reads the random parts of a PKCS#12 file: the MAC salt and every salt and IV of its password-based encryptions
// (PBES2: PBKDF2 salt and AES IV; PKCS#12 PBE: salt), as hex, by walking the DER with asn1js.
import * as asn1js from "asn1js";

const PASSWORD_BASED = new Set([
  "1.2.840.113549.1.5.13", // PBES2
  "1.2.840.113549.1.12.1.3", // pbeWithSHAAnd3-KeyTripleDES-CBC
]);

export interface Pkcs12Randomness {
  readonly macSalt: string;
  /** Per encryption, the OCTET STRINGs of its parameters: [salt, iv] for PBES2, [salt] for PKCS#12 PBE. */
  readonly encryptions: readonly (readonly string[])[];
}

export function pkcs12Randomness(pfx: Uint8Array): Pkcs12Randomness {
  const root = parse(pfx);
  if (root === undefined || !(root instanceof asn1js.Sequence)) throw new Error("not a PFX");
  const macData = root.valueBlock.value[2];
  const macSalt = macData instanceof asn1js.Sequence ? macData.valueBlock.value[1] : undefined;
  if (!(macSalt instanceof asn1js.OctetString)) throw new Error("PFX without MacData");
  const encryptions: string[][] = [];
  walk(root, encryptions);
  return { macSalt: hex(macSalt), encryptions };
}

function walk(node: asn1js.AsnType, out: string[][]): void {
  if (node instanceof asn1js.OctetString) {
    // authSafe and SafeContents travel as DER inside OCTET STRINGs; ciphertext does not parse whole.
    const inner = parse(node.valueBlock.valueHexView);
    if (inner !== undefined) walk(inner, out);
    return;
  }
  if (!(node instanceof asn1js.Sequence || node instanceof asn1js.Set || node instanceof asn1js.Constructed)) return;
  const children = node.valueBlock.value;
  const [first, parameters] = children;
  if (first instanceof asn1js.ObjectIdentifier && PASSWORD_BASED.has(first.valueBlock.toString())) {
    const found: string[] = [];
    if (parameters !== undefined) collectOctets(parameters, found);
    out.push(found);
    return;
  }
  for (const child of children) walk(child, out);
}

function collectOctets(node: asn1js.AsnType, out: string[]): void {
  if (node instanceof asn1js.OctetString) out.push(hex(node));
  else if (node instanceof asn1js.Sequence || node instanceof asn1js.Set) {
    for (const child of node.valueBlock.value) collectOctets(child, out);
  }
}

function parse(bytes: Uint8Array): asn1js.AsnType | undefined {
  try {
    const parsed = asn1js.fromBER(bytes);
    return parsed.offset === bytes.byteLength && parsed.result.error === "" ? parsed.result : undefined;
  } catch {
    // Random bytes (ciphertext, a salt) that look like the start of a BER length can make asn1js read past the end.
    return undefined;
  }
}

function hex(octets: asn1js.OctetString): string {
  return Buffer.from(octets.valueBlock.valueHexView).toString("hex");
}
