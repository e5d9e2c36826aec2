// PEM and base64 reading (stricter than Node's decoder) and the RSA public key rules (RSA only, 2048 bits or more).
import { generateKeyPairSync } from "node:crypto";
import {
  derToPem,
  fromBase64,
  fromGatewayCertData,
  pemBlocks,
  pemToDer,
  toBase64,
  toGatewayCertData,
} from "../../../src/domain/pem";
import { assertRsaPublicKey, rsaSpkiFromModulus, spkiOfPrivateKey } from "../../../src/domain/rsa-public-key";

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

describe("PEM", () => {
  it("writes LF line endings with a final newline, and refuses a label PEM cannot carry", () => {
    const pem = derToPem(bytes("abc"), "PUBLIC KEY");
    expect(pem).toBe("-----BEGIN PUBLIC KEY-----\nYWJj\n-----END PUBLIC KEY-----\n");
    expect(derToPem(bytes("abc"))).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    // 60 bytes: 80 base64 characters, one full line of 64 and the rest; LF only, one final newline.
    const long = Buffer.from("x".repeat(60)).toString("base64");
    expect(derToPem(bytes("x".repeat(60)))).toBe(
      `-----BEGIN CERTIFICATE-----\n${long.slice(0, 64)}\n${long.slice(64)}\n-----END CERTIFICATE-----\n`,
    );
    for (const label of ["lower case", "bad START", "END bad"]) {
      expect(() => derToPem(bytes("abc"), label)).toThrow(`invalid PEM label '${label}'`);
    }
  });

  it("refuses encrypted (RFC 1421) blocks and bodies that are not base64", () => {
    // The label is put together so no key armour line is spelled in a committed file (secret scanners flag it).
    const label = ["RSA", "PRIVATE", "KEY"].join(" ");
    const encrypted = `-----BEGIN ${label}-----\nProc-Type: 4,ENCRYPTED\n\nYWJj\n-----END ${label}-----`;
    expect(() => pemBlocks(encrypted)).toThrow(
      "PEM block RSA PRIVATE KEY has RFC 1421 headers (encrypted PEM is not supported)",
    );
    expect(() => pemBlocks("-----BEGIN CERTIFICATE-----\nYW*j\n-----END CERTIFICATE-----")).toThrow(
      "PEM block CERTIFICATE is not valid base64",
    );
    // A header on a later line or indented is a header; a colon inside a line is only bad base64.
    for (const body of ["\nYWJj\nDEK-Info: x\n", "\n  Proc-Type: 4,ENCRYPTED\n"]) {
      expect(() => pemBlocks(`-----BEGIN X-----${body}-----END X-----`)).toThrow("PEM block X has RFC 1421 headers");
    }
    expect(() => pemBlocks("-----BEGIN X-----\nYWJj x:\n-----END X-----")).toThrow("PEM block X is not valid base64");
  });

  it("finds exactly one block of the label asked for", () => {
    const text = derToPem(bytes("key"), "PRIVATE KEY") + derToPem(bytes("cert"));
    expect(Buffer.from(pemToDer(text)).toString()).toBe("cert");
    expect(Buffer.from(pemToDer(text, "PRIVATE KEY")).toString()).toBe("key");
    expect(() => pemToDer(text, "PUBLIC KEY")).toThrow("expected exactly one PEM PUBLIC KEY block, found 0");
  });
});

describe("gateway certificate data", () => {
  it("is the DER in base64 on one line, and reads back from base64 or from PEM", () => {
    const der = bytes("x".repeat(100));
    const data = toGatewayCertData(der);
    expect(data).toBe(Buffer.from(der).toString("base64"));
    expect(data).not.toContain("\n");
    expect(fromGatewayCertData(data)).toEqual(der);
    expect(fromGatewayCertData(derToPem(der))).toEqual(der);
    expect(() => toGatewayCertData(new Uint8Array(0))).toThrow("certificate is empty");
    expect(() => fromGatewayCertData("not base64!")).toThrow("certificate data is not valid base64");
  });
});

describe("base64", () => {
  it("encodes only the bytes of a view, not the whole buffer under it", () => {
    const whole = bytes("0123456789");
    expect(toBase64(whole.subarray(2, 5))).toBe(Buffer.from("234").toString("base64"));
  });

  it("decodes with whitespace and either padding, into memory of its own", () => {
    expect(Buffer.from(fromBase64(" QQ==\n", "x")).toString()).toBe("A");
    expect(Buffer.from(fromBase64("QUI=", "x")).toString()).toBe("AB");
    expect(Buffer.from(fromBase64("QUJD\r\nREVG", "x")).toString()).toBe("ABCDEF");
    const out = fromBase64("QUJD", "x");
    expect(out.byteLength).toBe(3);
  });

  it("refuses empty text, bad characters, and bad or missing padding, naming what it read", () => {
    for (const text of ["", "  ", "QQ=", "Q", "QQ==QQ==", "QU-D", "QUJD="]) {
      expect(() => fromBase64(text, "the thing")).toThrow("the thing is not valid base64");
    }
  });
});

describe("RSA public keys", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = new Uint8Array(rsa.publicKey.export({ type: "spki", format: "der" }));

  it("takes an RSA key of at least the floor and gives its size", () => {
    expect(assertRsaPublicKey(spki, "root key")).toBe(2048);
    expect(() => assertRsaPublicKey(spki, "root key", 3072)).toThrow(
      "root key is RSA-2048; at least RSA-3072 is required",
    );
  });

  it("refuses an unreadable SPKI, a small RSA key and a key of another type, naming it", () => {
    expect(() => assertRsaPublicKey(bytes("junk"), "the CSR's key")).toThrow(
      "the CSR's key is not a readable SubjectPublicKeyInfo",
    );
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(() =>
      assertRsaPublicKey(new Uint8Array(small.publicKey.export({ type: "spki", format: "der" })), "k"),
    ).toThrow("k is RSA-1024; at least RSA-2048 is required");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(() => assertRsaPublicKey(new Uint8Array(ec.publicKey.export({ type: "spki", format: "der" })), "k")).toThrow(
      "k is of key type ec; only RSA is accepted",
    );
  });

  it("refuses a key of a type Node cannot name (SM2) as an unknown key", () => {
    // An SM2 public key (`openssl genpkey -algorithm SM2`, then `openssl pkey -pubout -outform DER`): Node reads the
    // SPKI but gives no asymmetricKeyType for it.
    const sm2 = Buffer.from(
      "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAEpL/lv5LiuslwxslgIyqHeTpkWixI7F6scjzEXBUDQe2zjPFklKmlaLGMIXe7vzmVKYIK5+govlDUnShGQihXWQ==",
      "base64",
    );
    expect(() => assertRsaPublicKey(new Uint8Array(sm2), "CSR public key")).toThrow(
      "CSR public key is of key type unknown; only RSA is accepted",
    );
  });

  it("rebuilds the SPKI from n and e with or without leading zero bytes, and from the private key", () => {
    const jwk = rsa.publicKey.export({ format: "jwk" });
    const n = new Uint8Array(Buffer.from(jwk.n ?? "", "base64url"));
    const e = new Uint8Array(Buffer.from(jwk.e ?? "", "base64url"));
    expect(rsaSpkiFromModulus(n, e)).toEqual(spki);
    const padded = (b: Uint8Array) => new Uint8Array([0, 0, ...b]);
    expect(rsaSpkiFromModulus(padded(n), padded(e))).toEqual(spki);
    const pkcs8 = new Uint8Array(rsa.privateKey.export({ type: "pkcs8", format: "der" }));
    expect(spkiOfPrivateKey(pkcs8)).toEqual(spki);
    expect(spkiOfPrivateKey(new Uint8Array([9, ...pkcs8]).subarray(1))).toEqual(spki);
  });
});
