// Policy subjects arrive as "CN=name, O=org" with attribute types in any case (the SDK's default policy sends
// "cn=MyCert"). @peculiar/x509 only knows upper-case short names, so the string is split here and the types
// normalised; an unknown type is the caller's error, as Key Vault answers 400 for a subject it cannot parse.
import { badParameter } from "./vault-error";

/** Attribute types Key Vault accepts in policy subjects, by lower-cased alias. */
const ATTRIBUTE_TYPES: Readonly<Record<string, string>> = {
  cn: "CN",
  o: "O",
  ou: "OU",
  c: "C",
  l: "L",
  st: "ST",
  s: "ST",
  street: "STREET",
  e: "E",
  email: "E",
  emailaddress: "E",
  dc: "DC",
  serialnumber: "2.5.4.5",
  g: "G",
  givenname: "G",
  sn: "SN",
  surname: "SN",
  t: "T",
  title: "T",
};

/** One relative distinguished name per entry, in the order written. */
export type JsonSubjectName = Record<string, string[]>[];

export function parseSubject(subject: string): JsonSubjectName {
  const parts = splitUnescaped(subject, ",");
  const result: JsonSubjectName = [];
  for (const part of parts) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw badParameter(`Subject '${subject}' is not a valid X.500 distinguished name.`);
    const rawType = part.slice(0, eq).trim();
    const type = ATTRIBUTE_TYPES[rawType.toLowerCase()] ?? (/^\d+(\.\d+)+$/.test(rawType) ? rawType : undefined);
    if (type === undefined) throw badParameter(`Subject attribute type '${rawType}' is not supported.`);
    const value = unquote(part.slice(eq + 1).trim());
    if (value === "") throw badParameter(`Subject attribute '${rawType}' has an empty value.`);
    result.push({ [type]: [value] });
  }
  if (result.length === 0) throw badParameter("Subject must name at least one attribute.");
  return result;
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charAt(i);
    if (ch === "\\" && i + 1 < text.length) {
      current += ch + text.charAt(i + 1);
      i += 1;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === separator && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  const inner = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  return inner.replace(/\\(.)/g, "$1");
}
