import {
  InvalidUpnError,
  assertUpn,
  keyVaultCertificateName,
  parseUpn,
  sameUpn,
  upnKey,
} from "../../../src/domain/upn";

function reasonFor(input: unknown): string {
  const result = parseUpn(input);
  if (result.ok) throw new Error(`expected ${String(input)} to be refused`);
  return result.reason;
}

describe("parseUpn", () => {
  it.each([
    "alice@contoso.com",
    "Alice.Smith@Contoso.COM",
    "o'brien@contoso.co.uk",
    "first_last-2@sub.contoso-eu.com",
    "x!^~@xn--bcher-kva.example",
    `${"a".repeat(64)}@${"b".repeat(44)}.com`,
  ])("accepts %s unchanged", (input) => {
    expect(parseUpn(input)).toEqual({ ok: true, upn: input });
  });

  it.each([
    ["", "UPN is empty"],
    ["a,O=x@contoso.com", "UPN 'a,O=x@contoso.com' contains ',' which is not allowed"],
    ["a+b@contoso.com", "UPN 'a+b@contoso.com' contains '+' which is not allowed"],
    ["a=b@contoso.com", "contains '=' which is not allowed"],
    ['a"b@contoso.com', `contains '"' which is not allowed`],
    ["a\\b@contoso.com", "contains '\\' which is not allowed"],
    ["a<b>@contoso.com", "contains '<' which is not allowed"],
    ["a;b@contoso.com", "contains ';' which is not allowed"],
    ["guest_fabrikam.com#EXT#@contoso.onmicrosoft.com", "contains '#' which is not allowed"],
    ["a/b@contoso.com", "contains '/' which is not allowed"],
    [
      "alice\u0000@contoso.com",
      "UPN 'alice\\u0000@contoso.com' contains the control character U+0000, which is not allowed",
    ],
    ["alice\n@contoso.com", "contains the control character U+000A"],
    ["alice\u007f@contoso.com", "contains the control character U+007F"],
    ["ali ce@contoso.com", "UPN 'ali\\u0020ce@contoso.com' contains whitespace (U+0020), which is not allowed"],
    ["alice@contoso.com\u2028", "contains whitespace (U+2028)"],
    ["alïce@contoso.com", "contains the non-ASCII character U+00EF"],
    ["alice.contoso.com", "UPN 'alice.contoso.com' has no '@'"],
    ["a@b@contoso.com", "UPN 'a@b@contoso.com' has more than one '@'"],
    ["@contoso.com", "has nothing before the '@'"],
    ["alice@", "has no domain after the '@'"],
    ["alice@localhost", "has a domain without a '.'"],
    [".alice@contoso.com", "misplaced '.'"],
    ["alice.@contoso.com", "misplaced '.'"],
    ["al..ice@contoso.com", "misplaced '.'"],
    ["alice@-contoso.com", "invalid domain label '-contoso'"],
    ["alice@contoso..com", "invalid domain label ''"],
    ["alice@contoso_eu.com", "invalid domain label 'contoso_eu'"],
    ["alice@10.0.0.1", "numeric top-level domain"],
    [`${"a".repeat(65)}@contoso.com`, "65-character name before the '@'; the limit is 64"],
    [`a@${"b".repeat(46)}.com`, "50-character domain; the limit is 48"],
    [`${"a".repeat(64)}@${"b".repeat(45)}.com`, "is 114 characters long; the limit is 113"],
  ])("refuses %j: %s", (input, reason) => {
    expect(reasonFor(input)).toContain(reason);
  });

  it("cuts very long input in its reason", () => {
    const reason = reasonFor(`${"a".repeat(500)}@contoso.com`);
    expect(reason).toContain("is 512 characters long");
    expect(reason.length).toBeLessThan(220);
  });

  it("shows a reason's input whole up to 120 characters, and cut with an ellipsis beyond", () => {
    const at120 = `${"a".repeat(64)}@${"b".repeat(51)}.com`;
    expect(at120).toHaveLength(120);
    expect(reasonFor(at120)).toBe(`UPN '${at120}' is 120 characters long; the limit is 113`);
    const at121 = `${at120}x`;
    expect(reasonFor(at121)).toBe(`UPN '${at120}…' is 121 characters long; the limit is 113`);
  });

  it("names U+007F and U+009F as control characters, escaped in the input it shows", () => {
    expect(reasonFor("a\u007f@contoso.com")).toBe(
      "UPN 'a\\u007F@contoso.com' contains the control character U+007F, which is not allowed",
    );
    expect(reasonFor("a\u009f@contoso.com")).toBe(
      "UPN 'a\\u009F@contoso.com' contains the control character U+009F, which is not allowed",
    );
    expect(reasonFor("a\u00a0@contoso.com")).toContain("whitespace (U+00A0)");
  });

  it("names U+0080 a control character and shows other non-ASCII characters as they are", () => {
    expect(reasonFor("a\u0080@contoso.com")).toContain("contains the control character U+0080");
    expect(reasonFor("andr\u00e9@contoso.com")).toBe(
      "UPN 'andr\u00e9@contoso.com' contains the non-ASCII character U+00E9, which is not allowed",
    );
  });

  it("refuses an all-digit top-level label only", () => {
    expect(reasonFor("a@contoso.123")).toBe("UPN 'a@contoso.123' has a numeric top-level domain");
    expect(parseUpn("a@contoso.c0m1").ok).toBe(true);
    expect(parseUpn("a@contoso.1com").ok).toBe(true);
  });

  it("names a DN metacharacter wherever it is, the domain included", () => {
    expect(reasonFor("alice@contoso,evil.com")).toBe("UPN 'alice@contoso,evil.com' contains ',' which is not allowed");
    expect(reasonFor("alice@contoso.com;x")).toBe("UPN 'alice@contoso.com;x' contains ';' which is not allowed");
  });

  it("refuses non-strings", () => {
    expect(reasonFor(undefined)).toBe("UPN must be a string, got undefined");
    expect(reasonFor(null)).toBe("UPN must be a string, got null");
    expect(reasonFor(42)).toBe("UPN must be a string, got number");
  });

  it("assertUpn throws InvalidUpnError with the reason", () => {
    expect(() => assertUpn("no-at-sign")).toThrow(InvalidUpnError);
    expect(() => assertUpn("no-at-sign")).toThrow("UPN 'no-at-sign' has no '@'");
    expect(assertUpn("a@b.co")).toBe("a@b.co");
  });
});

describe("UPN identity", () => {
  it("compares without case and keys in lower case", () => {
    const a = assertUpn("Alice.Smith@Contoso.com");
    const b = assertUpn("alice.smith@CONTOSO.COM");
    expect(sameUpn(a, b)).toBe(true);
    expect(upnKey(a)).toBe("alice.smith@contoso.com");
    expect(sameUpn(a, assertUpn("alice.smyth@contoso.com"))).toBe(false);
  });
});

describe("keyVaultCertificateName", () => {
  const alice = assertUpn("Alice@Contoso.com");

  it("is deterministic, case-insensitive in the UPN, and distinct per request", () => {
    const name = keyVaultCertificateName(alice, "req-1");
    expect(name).toMatch(/^p2s-user-[0-9a-f]{32}$/);
    expect(keyVaultCertificateName(assertUpn("alice@contoso.com"), "req-1")).toBe(name);
    expect(keyVaultCertificateName(alice, "req-2")).not.toBe(name);
    expect(keyVaultCertificateName(assertUpn("bob@contoso.com"), "req-1")).not.toBe(name);
  });

  it("is a valid Key Vault name that does not contain the UPN", () => {
    const name = keyVaultCertificateName(alice, "req-1", "vpn");
    expect(name).toMatch(/^[0-9a-zA-Z-]{1,127}$/);
    expect(name.startsWith("vpn-")).toBe(true);
    expect(name.toLowerCase()).not.toContain("alice");
    expect(name.toLowerCase()).not.toContain("contoso");
  });

  it("hashes the UPN key and the request id apart (SHA-256 of '<upn key>\\0<request id>', 128 bits)", () => {
    // printf 'alice@contoso.com\0REQ-1' | openssl dgst -sha256
    expect(keyVaultCertificateName(alice, "REQ-1")).toBe("p2s-user-c1fb5f288716c9345ef284fe253391cc");
    // Without the separator these two pairs would hash the same text.
    expect(keyVaultCertificateName(assertUpn("a@b.co"), "mx")).not.toBe(
      keyVaultCertificateName(assertUpn("a@b.com"), "x"),
    );
  });

  it("takes request ids up to 256 characters", () => {
    expect(keyVaultCertificateName(alice, "r".repeat(256))).toMatch(/^p2s-user-[0-9a-f]{32}$/);
    expect(() => keyVaultCertificateName(alice, "r".repeat(257))).toThrow("request id must be 1-256 characters");
  });

  it("refuses prefixes Key Vault would not take and empty request ids", () => {
    expect(() => keyVaultCertificateName(alice, "r", "9lives")).toThrow("must be a letter");
    expect(() => keyVaultCertificateName(alice, "r", "has_underscore")).toThrow("must be a letter");
    expect(() => keyVaultCertificateName(alice, "")).toThrow("request id must be 1-256 characters");
  });
});
