// Hostile text for the fuzzed edge: strings an attacker or a broken upstream sends where the app expects an
// identifier, a UPN, a date or free text. Each arbitrary mixes plausible values (so the validation is passed now and
// then and the next layer is reached) with the classic troublemakers.
import fc from "fast-check";

/** Characters that break parsers, encoders, DNs, table keys, logs and terminals. */
const TROUBLE_CHARS = [
  "\u0000",
  "\u0001",
  "\u0007",
  "\b",
  "\t",
  "\n",
  "\r",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u009f",
  "\u00a0",
  "\u200b",
  "\u200d",
  "\u202e",
  "\u2028",
  "\u2029",
  "\ufeff",
  "\ufffd",
  "\ud800",
  "\udfff",
  ",",
  "+",
  "=",
  '"',
  "\\",
  "<",
  ">",
  ";",
  "#",
  "/",
  "?",
  "%",
  "&",
  "'",
  "`",
  "*",
  "{",
  "}",
  "|",
  "$",
  "@",
  ":",
  "\u0430",
  "\u0435",
  "\u043e",
  "\u0440",
  "\u0441",
  "\u0456",
  "\u1d00",
  "\uff41",
  "\u212a",
  "\u0131",
  "\u0130",
  "\ud83d\ude00",
  "\u0301",
];

/** Whole values that have hurt someone somewhere. */
const TROUBLE_VALUES = [
  "",
  " ",
  "null",
  "undefined",
  "NaN",
  "-1",
  "0",
  "1e309",
  "true",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "../../etc/passwd",
  "..%2F..%2F",
  "%00",
  "%",
  "%zz",
  "%25",
  "%252F",
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
  "' OR '1'='1",
  "PartitionKey eq ''",
  "CN=x,O=y",
  "a\r\nSet-Cookie: x=y",
  "\u202egnp.exe",
  "xn--80ak6aa92e.com",
  "EXAMPLE@CONTOSO.COM",
  "a".repeat(300),
  "\u0000".repeat(8),
];

export const troubleChar = fc.constantFrom(...TROUBLE_CHARS);

/** Any string at all, weighted towards the troublesome. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TROUBLE_VALUES) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(troubleChar, fc.string({ maxLength: 3 })), { maxLength: 12 }).map((p) => p.join("")),
  },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  // Long, not huge: headers and URLs past Node's 16 KiB would only meet the server's 431 (bodies get their own).
  { weight: 1, arbitrary: fc.integer({ min: 257, max: 2_000 }).map((n) => "x".repeat(n)) },
);

const LOCALS = ["alice", "bob.smith", "o'neil", "zed", "a", "ALICE", "Alice", "x_y-z", "first.last!^~"];
const DOMAINS = ["contoso.com", "CONTOSO.COM", "Contoso.Com", "fabrikam.com", "sub.contoso.com", "xn--cntoso-3ya.com"];

/** Plausible UPNs: well-formed, in the sandbox's allowed domain or not, in any case. */
export const plausibleUpn: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...LOCALS), fc.constantFrom(...DOMAINS))
  .map(([local, domain]) => `${local}@${domain}`);

/** Breaks a plausible UPN in one of the ways Entra ID, DNs or the ledger care about. */
const brokenUpn: fc.Arbitrary<string> = fc.oneof(
  // A look-alike letter or an invisible or control character inserted somewhere.
  fc.tuple(plausibleUpn, troubleChar, fc.nat()).map(([upn, c, at]) => {
    const i = at % (upn.length + 1);
    return `${upn.slice(0, i)}${c}${upn.slice(i)}`;
  }),
  // Homoglyph domains and local parts (Cyrillic а, е, о, р, с; fullwidth; Kelvin sign).
  fc.constantFrom(
    "\u0430lice@contoso.com",
    "alice@c\u043entoso.com",
    "alice@\uff43ontoso.com",
    "\u212aen@contoso.com",
    "alice@contoso.com\u200b",
    "alice@xn--contoso-.com",
    "alice@contoso.com.",
    "alice@.contoso.com",
    "alice@contoso..com",
    "alice@contoso.123",
    "alice@localhost",
    "alice@[127.0.0.1]",
    "alice@@contoso.com",
    "@contoso.com",
    "alice@",
    "alice",
    ".alice@contoso.com",
    "alice.@contoso.com",
    "al..ice@contoso.com",
    "x#EXT#@contoso.onmicrosoft.com",
    "CN=admin,O=contoso@contoso.com",
    "alice+tag@contoso.com",
    'alice"@contoso.com',
    "alice\\@contoso.com",
    "alice@contoso.com;bob@contoso.com",
    "alice@contoso.com\nbob@contoso.com",
  ),
  // Overlong: local part over 64, domain over 48, whole over 113.
  fc.integer({ min: 60, max: 400 }).map((n) => `${"a".repeat(n)}@contoso.com`),
  fc.integer({ min: 40, max: 120 }).map((n) => `alice@${"d".repeat(n)}.com`),
  fc.integer({ min: 20, max: 70 }).map((n) => `alice@${Array.from({ length: n }, () => "ab").join(".")}.com`),
);

/** A UPN as it may arrive: plausible (sometimes allowed), broken, or any string at all. */
export const hostileUpn: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: plausibleUpn },
  { weight: 5, arbitrary: brokenUpn },
  { weight: 2, arbitrary: hostileString },
);

/** Idempotency keys (requestId, ticketId, eventId): valid ones and ones that are not. */
export const hostileId: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{60,70}$/) },
  { weight: 3, arbitrary: hostileString },
);

/** Times: valid ISO with a zone (now, past, future), without a zone, and junk. */
export function hostileTime(nowMs: number): fc.Arbitrary<string> {
  const iso = (offsetMs: number): string => new Date(nowMs + offsetMs).toISOString();
  return fc.oneof(
    fc.integer({ min: -400 * 86_400_000, max: 10 * 60_000 }).map(iso),
    fc.constantFrom(
      iso(0).replace("Z", ""),
      iso(0).replace("Z", "+14:00"),
      iso(0).replace("Z", "+99:99"),
      "2026-13-45T25:61:61Z",
      "0000-01-01T00:00:00Z",
      "9999-12-31T23:59:59Z",
      "+275760-09-13T00:00:00.000Z",
      "1970-01-01T00:00:00Z",
      "today",
      "",
    ),
    hostileString,
  );
}

/** The 32 hex characters of the app's public request ids: well-formed ids that name nothing. */
export const unknownPublicId: fc.Arbitrary<string> = fc.stringMatching(/^[0-9a-f]{32}$/);
