// The DER walker that returns a certificate's parts as encoded: on a real certificate, and on hand-made encodings
// for each way a DER can be broken.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { certificateParts, sameBytes } from "../../../src/domain/certificate-der";

function tlv(tag: number, content: readonly number[]): number[] {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return [tag, ...length, ...content];
}
const seq = (...parts: number[][]): number[] => tlv(0x30, parts.flat());
const der = (b: readonly number[]): Uint8Array => new Uint8Array(b);

const ALG = seq(tlv(0x06, [0x2a, 0x03]));
const SIG = tlv(0x03, [0x00, 0xaa, 0xbb]);
const FIELDS = [tlv(0x02, [1]), ALG, seq([0x31, 0x00]), seq(), seq([0x31, 0x01, 0x00]), seq(tlv(0x05, []))];
const certificate = (tbs: number[], alg = ALG, sig = SIG): Uint8Array => der(seq(tbs, alg, sig));

describe("certificateParts", () => {
  let real: Uint8Array;
  let spki: Uint8Array;

  beforeAll(async () => {
    const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: "01",
        name: "CN=der test",
        notBefore: new Date("2026-01-01T00:00:00Z"),
        notAfter: new Date("2027-01-01T00:00:00Z"),
        keys,
        signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      },
      webcrypto,
    );
    real = new Uint8Array(cert.rawData);
    spki = new Uint8Array(await webcrypto.subtle.exportKey("spki", keys.publicKey));
  });

  it("returns a real certificate's parts as they are encoded", () => {
    const parts = certificateParts(real);
    const x = new x509.X509Certificate(real);
    // The TBS follows the outer SEQUENCE's four header bytes (30 82 hi lo).
    expect(parts.tbs).toEqual(real.slice(4, 4 + parts.tbs.length));
    expect(parts.tbs[0]).toBe(0x30);
    expect(sameBytes(parts.subjectPublicKeyInfo, spki)).toBe(true);
    expect(parts.issuer).toEqual(parts.subject);
    expect(Buffer.from(parts.signatureAlgorithmOid).toString("hex")).toBe("2a8648ce3d040302");
    expect(parts.tbsSignatureAlgorithm).toEqual(parts.outerSignatureAlgorithm);
    expect(parts.signature).toEqual(new Uint8Array(x.signature));
    // Each part is the encoded element, tag and length included.
    expect(parts.tbs.length).toBe(real.length - parts.outerSignatureAlgorithm.length - parts.signature.length - 4 - 3);
  });

  it("reads the fields with and without the version, and returns each element whole", () => {
    const withVersion = certificateParts(certificate(seq(tlv(0xa0, tlv(0x02, [2])), ...FIELDS)));
    const without = certificateParts(certificate(seq(...FIELDS)));
    for (const parts of [withVersion, without]) {
      expect(parts.issuer).toEqual(der(seq([0x31, 0x00])));
      expect(parts.subject).toEqual(der(seq([0x31, 0x01, 0x00])));
      expect(parts.subjectPublicKeyInfo).toEqual(der(seq(tlv(0x05, []))));
      expect(parts.tbsSignatureAlgorithm).toEqual(der(ALG));
      expect(parts.outerSignatureAlgorithm).toEqual(der(ALG));
      expect(parts.signatureAlgorithmOid).toEqual(der([0x2a, 0x03]));
      expect(parts.signature).toEqual(der([0xaa, 0xbb]));
    }
    expect(without.tbs).toEqual(der(seq(...FIELDS)));
  });

  it("reads long-form lengths", () => {
    const big = seq(
      ...FIELDS.slice(0, 5),
      seq(
        tlv(
          0x04,
          Array.from({ length: 300 }, () => 7),
        ),
      ),
    );
    expect(certificateParts(certificate(big)).subjectPublicKeyInfo).toHaveLength(4 + 4 + 300);
  });

  it.each<[string, Uint8Array, string]>([
    ["nothing", der([]), "DER is truncated"],
    ["a tag alone", der([0x30]), "DER is truncated"],
    ["a body shorter than its length", der([0x30, 0x05, 0x00]), "DER is truncated"],
    ["length bytes cut off", der([0x30, 0x82, 0x01]), "DER is truncated"],
    ["an indefinite length", der([0x30, 0x80, 0x00, 0x00]), "DER length is indefinite or too long"],
    ["a five-byte length", der([0x30, 0x85, 0, 0, 0, 0, 0]), "DER length is indefinite or too long"],
    ["an empty SEQUENCE with a four-byte length (which is read)", der([0x30, 0x84, 0, 0, 0, 0]), "is not SEQUENCE"],
    ["a high tag number", der([0x3f, 0x00]), "DER high tag numbers are not used in certificates"],
    ["a SET outside", der([0x31, 0x00]), "DER tag 0x31 where 0x30 was expected"],
    ["trailing bytes", der([...seq(...FIELDS), 0x00]), "certificate DER has trailing bytes"],
    ["no signature", der(seq(seq(...FIELDS), ALG)), "certificate DER is not SEQUENCE { tbs, algorithm, signature }"],
    ["a fourth element", der(seq(seq(...FIELDS), ALG, SIG, SIG)), "is not SEQUENCE { tbs, algorithm, signature }"],
    ["a signature that is not a BIT STRING", certificate(seq(...FIELDS), ALG, tlv(0x04, [0])), "is not SEQUENCE"],
    ["a TBS that is not a SEQUENCE", der(seq(tlv(0x31, []), ALG, SIG)), "is not SEQUENCE"],
    ["an algorithm that is not a SEQUENCE", certificate(seq(...FIELDS), tlv(0x31, [])), "is not SEQUENCE"],
    [
      "a TBS without its key",
      certificate(seq(...FIELDS.slice(0, 5))),
      "certificate TBS does not have the X.509 field layout",
    ],
    ["a serial that is not an INTEGER", certificate(seq(tlv(0x04, [1]), ...FIELDS.slice(1))), "X.509 field layout"],
    ["an element overrunning its parent", certificate([0x30, 0x02, 0x02, 0x05]), "DER element overruns its parent"],
    [
      "an algorithm without an OID",
      certificate(seq(...FIELDS), seq(tlv(0x05, []))),
      "certificate signature algorithm has no OID",
    ],
    [
      "a signature with unused bits",
      certificate(seq(...FIELDS), ALG, tlv(0x03, [0x01, 0xaa])),
      "certificate signature BIT STRING has unused bits",
    ],
  ])("refuses %s", (_, input, message) => {
    expect(() => certificateParts(input)).toThrow(message);
  });

  it.each<[string, number, string]>([
    ["issuer", 2, "X.509 field layout"],
    ["validity", 3, "X.509 field layout"],
    ["subject", 4, "X.509 field layout"],
    ["algorithm", 1, "X.509 field layout"],
  ])("refuses a TBS whose %s is not a SEQUENCE", (_, index, message) => {
    const fields = FIELDS.map((field, i) => (i === index ? tlv(0x04, [0]) : field));
    expect(() => certificateParts(certificate(seq(...fields)))).toThrow(message);
  });
});

describe("sameBytes", () => {
  it("is true only for the same bytes in the same length", () => {
    expect(sameBytes(der([1, 2, 3]), der([1, 2, 3]))).toBe(true);
    expect(sameBytes(der([1, 2, 3]), der([1, 2, 4]))).toBe(false);
    expect(sameBytes(der([1, 2]), der([1, 2, 3]))).toBe(false);
  });
});
