import { normaliseThumbprint, parseThumbprint, sameThumbprint, thumbprintOf } from "../../../src/domain/thumbprint";
import { TempDir, newTestCa, openssl } from "./ca-test-support";

describe("thumbprintOf", () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await TempDir.create();
  });
  afterAll(() => dir.remove());

  it("equals openssl's SHA-1 fingerprint, normalised", async () => {
    const { rootDer } = await newTestCa();
    const pem = await dir.writePem("root.pem", rootDer);
    const result = await openssl(["x509", "-in", pem, "-noout", "-fingerprint", "-sha1"]);
    const printed = /SHA1 Fingerprint=([0-9A-F:]+)/i.exec(result.stdout)?.[1];
    expect(printed).toBeDefined();
    expect(thumbprintOf(rootDer)).toBe(normaliseThumbprint(printed ?? ""));
    expect(thumbprintOf(rootDer)).toMatch(/^[0-9A-F]{40}$/);
  });

  it("refuses empty input", () => {
    expect(() => thumbprintOf(new Uint8Array(0))).toThrow("empty");
  });
});

describe("normaliseThumbprint", () => {
  const canonical = "3A0F1C2B4D5E6F708192A3B4C5D6E7F809A1B2C3";

  it.each([
    ["lowercase (Key Vault SDK)", canonical.toLowerCase()],
    ["colons (OpenSSL)", canonical.replace(/(..)(?!$)/g, "$1:")],
    ["spaces (Windows)", canonical.replace(/(..)(?!$)/g, "$1 ")],
    ["Windows dialog's hidden left-to-right mark", `\u200e${canonical.toLowerCase()}`],
    ["surrounding whitespace and hyphens", ` ${canonical.slice(0, 20)}-${canonical.slice(20)}\n`],
  ])("accepts %s", (_, input) => {
    expect(normaliseThumbprint(input)).toBe(canonical);
  });

  it.each([
    ["", "thumbprint is empty"],
    [canonical.slice(0, 39), "thumbprint has 39 hex digits; a SHA-1 thumbprint has 40"],
    [`${canonical}00`, "has 42 hex digits"],
    [`${canonical.slice(0, 39)}G`, "characters other than hex"],
    [`G${canonical.slice(1)}`, "characters other than hex"],
  ])("refuses %j", (input, reason) => {
    expect(parseThumbprint(input)).toEqual({ ok: false, reason: expect.stringContaining(reason) as unknown });
    expect(() => normaliseThumbprint(input)).toThrow(reason);
  });

  it("compares spellings", () => {
    expect(sameThumbprint(canonical.toLowerCase(), canonical.replace(/(..)(?!$)/g, "$1:"))).toBe(true);
    expect(sameThumbprint(canonical, `${canonical.slice(0, 39)}0`)).toBe(false);
  });
});
