// Public keys compared as keys: out of a certificate, out of a CSR, each compared with the key it was made from.
import { certificateSpki, csrSpki, samePublicKey } from "../../../src/domain/public-key";
import { csrFor, newRsaKey, newTestCa } from "./ca-test-support";

describe("public keys", () => {
  it("reads the certificate's key and the CSR's key as the keys they were made from", async () => {
    const ca = await newTestCa();
    const other = await newRsaKey();
    const fromCertificate = certificateSpki(ca.rootDer);
    expect(Buffer.from(fromCertificate).equals(Buffer.from(ca.key.spki))).toBe(true);
    expect(samePublicKey(fromCertificate, ca.key.spki)).toBe(true);
    expect(samePublicKey(fromCertificate, other.spki)).toBe(false);

    const fromCsr = csrSpki(await csrFor(other, "CN=x@contoso.com"));
    expect(fromCsr).toBeInstanceOf(Uint8Array);
    expect(samePublicKey(fromCsr, other.spki)).toBe(true);
    expect(samePublicKey(fromCsr, ca.key.spki)).toBe(false);
  });
});
