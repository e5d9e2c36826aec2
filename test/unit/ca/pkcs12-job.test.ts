// What may go into a user's PKCS#12, checked before any worker thread starts (pkcs12Job): the defaults per profile,
// and the bounds on passphrase, iterations, friendly name, certificates and key.
import {
  MAX_PKCS12_ITERATIONS,
  MIN_PKCS12_ITERATIONS,
  keyMatchesCertificate,
  pkcs12Job,
} from "../../../src/domain/pkcs12";
import type { Pkcs12Input } from "../../../src/domain/pkcs12";
import { newRsaKey, newTestCa } from "./ca-test-support";
import type { TestCa, TestKey } from "./ca-test-support";

jest.setTimeout(30_000);

describe("pkcs12Job", () => {
  let ca: TestCa;
  let other: TestCa;
  let stranger: TestKey;
  let input: Pkcs12Input;

  beforeAll(async () => {
    [ca, other, stranger] = await Promise.all([newTestCa("CN=leaf"), newTestCa("CN=issuer"), newRsaKey()]);
    input = { privateKey: ca.key.pkcs8, certificate: ca.rootDer, password: "pass" };
  });

  it("defaults to AES with 100,000 iterations, legacy to 2,048, leaf first then the chain", () => {
    // toStrictEqual: no friendlyName key at all when none was given.
    expect(pkcs12Job({ ...input, chain: [other.rootDer] })).toStrictEqual({
      encryption: "aes256",
      privateKey: ca.key.pkcs8,
      certificates: [ca.rootDer, other.rootDer],
      password: "pass",
      iterations: 100_000,
    });
    const legacy = pkcs12Job({ ...input, encryption: "legacy3des", friendlyName: "VPN" });
    expect(legacy).toEqual({
      encryption: "legacy3des",
      privateKey: ca.key.pkcs8,
      certificates: [ca.rootDer],
      friendlyName: "VPN",
      password: "pass",
      iterations: 2_048,
    });
  });

  it("takes iteration counts from 1,000 to 1,000,000 (legacy: 65,535), whole numbers only", () => {
    const at =
      (iterations: number, encryption: Pkcs12Input["encryption"] = "aes256") =>
      () =>
        pkcs12Job({ ...input, iterations, encryption });
    expect(at(MIN_PKCS12_ITERATIONS)().iterations).toBe(1_000);
    expect(at(MAX_PKCS12_ITERATIONS)().iterations).toBe(1_000_000);
    expect(at(65_535, "legacy3des")().iterations).toBe(65_535);
    expect(at(999)).toThrow("PKCS#12 iterations must be 1000-1000000, got 999");
    expect(at(1_000_001)).toThrow("PKCS#12 iterations must be 1000-1000000, got 1000001");
    expect(at(65_536, "legacy3des")).toThrow("PKCS#12 iterations must be 1000-65535, got 65536");
    expect(at(1000.5)).toThrow("got 1000.5");
  });

  it("needs a passphrase of 1 to 1,024 characters", () => {
    expect(() => pkcs12Job({ ...input, password: "" })).toThrow("a PKCS#12 for a user needs a non-empty passphrase");
    expect(pkcs12Job({ ...input, password: "x".repeat(1024) }).password).toHaveLength(1024);
    expect(() => pkcs12Job({ ...input, password: "x".repeat(1025) })).toThrow(
      "passphrase is longer than 1024 characters",
    );
  });

  it("takes a friendly name of 1 to 256 characters within the BMP", () => {
    expect(pkcs12Job({ ...input, friendlyName: "é".repeat(256) }).friendlyName).toHaveLength(256);
    for (const friendlyName of ["", "x".repeat(257)]) {
      expect(() => pkcs12Job({ ...input, friendlyName })).toThrow("friendly name must be 1-256 characters");
    }
    expect(() => pkcs12Job({ ...input, friendlyName: "VPN 😀" })).toThrow("friendly name must stay within the BMP");
  });

  it("refuses unreadable certificates and a key that is not the leaf's", () => {
    const junk = new Uint8Array([48, 3, 1, 1, 0]);
    expect(() => pkcs12Job({ ...input, certificate: junk })).toThrow(
      "a certificate of the PKCS#12 is not readable DER",
    );
    expect(() => pkcs12Job({ ...input, chain: [other.rootDer, junk] })).toThrow(
      "a certificate of the PKCS#12 is not readable DER",
    );
    expect(() => pkcs12Job({ ...input, privateKey: stranger.pkcs8 })).toThrow(
      "private key does not match the certificate's public key",
    );
    expect(() => pkcs12Job({ ...input, privateKey: junk })).toThrow("private key is not a readable PKCS#8 key");
  });

  it("matches a key with its certificate only", () => {
    expect(keyMatchesCertificate(ca.key.pkcs8, ca.rootDer)).toBe(true);
    expect(keyMatchesCertificate(ca.key.pkcs8, other.rootDer)).toBe(false);
  });
});
