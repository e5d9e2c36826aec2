// The facts read from a certificate's DER (src/domain/certificate-info.ts) when the certificate lacks what the app's
// own certificates always carry, and the errors when it cannot be read.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { BasicConstraintsExtension, Extension, X509CertificateGenerator } from "@peculiar/x509";
import {
  OID_BASIC_CONSTRAINTS,
  describeCertificate,
  extensionOf,
  parseCertificate,
} from "../../../src/domain/certificate-info";
import { newRsaKey } from "./ca-test-support";

describe("describeCertificate", () => {
  it("reads a certificate without extensions as no CA, with no key identifiers", async () => {
    const key = await newRsaKey();
    const cert = await X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: "0badc0de",
        name: "CN=No Extensions, O=Contoso",
        notBefore: new Date("2025-01-01T00:00:00Z"),
        notAfter: new Date("2026-01-01T00:00:00Z"),
        keys: key.pair,
        signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      },
      webcrypto,
    );
    const info = describeCertificate(new Uint8Array(cert.rawData));
    expect(info).toMatchObject({
      serialNumber: "0BADC0DE",
      subject: "CN=No Extensions, O=Contoso",
      commonName: "No Extensions",
      isCa: false,
      subjectKeyIdentifier: undefined,
      authorityKeyIdentifier: undefined,
    });
  });

  it("names what it could not read", () => {
    const garbage = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);
    expect(() => describeCertificate(garbage)).toThrow("certificate is not a readable DER X.509 certificate");
    expect(() => parseCertificate(garbage, "gateway root")).toThrow(
      "gateway root is not a readable DER X.509 certificate",
    );
  });
});

describe("extensionOf", () => {
  it("is undefined when the extension is absent, and refuses one that did not parse as its type", () => {
    expect(extensionOf({ extensions: [] }, OID_BASIC_CONSTRAINTS, BasicConstraintsExtension)).toBeUndefined();
    const basic = new BasicConstraintsExtension(true, 0, true);
    expect(extensionOf({ extensions: [basic] }, OID_BASIC_CONSTRAINTS, BasicConstraintsExtension)).toBe(basic);
    // A generic Extension under the basicConstraints OID: what the library leaves when it cannot parse the value.
    const raw = new Extension(OID_BASIC_CONSTRAINTS, true, new Uint8Array([0x30, 0x00]));
    expect(() => extensionOf({ extensions: [raw] }, OID_BASIC_CONSTRAINTS, BasicConstraintsExtension)).toThrow(
      "extension 2.5.29.19 did not parse as BasicConstraintsExtension",
    );
  });
});
