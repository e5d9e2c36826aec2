import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { certificateParts } from "../../../src/domain/certificate-der";
import { createKeyObjectSigner, signDigest } from "../../../src/domain/key-object-signer";
import { derToPem, fromBase64, pemBlocks, pemToDer } from "../../../src/domain/pem";
import { buildRootCertificate } from "../../../src/domain/root-certificate";
import { rsaSpkiFromModulus } from "../../../src/domain/rsa-public-key";
import { generateSerialNumber } from "../../../src/domain/serial-number";
import { signerCrypto } from "../../../src/domain/signer";
import type { Signer } from "../../../src/domain/signer";
import { rootValidity } from "../../../src/domain/validity";
import { newRsaKey } from "./ca-test-support";
import type { TestKey } from "./ca-test-support";

describe("PEM helpers", () => {
  it("round-trips, with 64-character lines", () => {
    const der = randomBytes(200);
    const pem = derToPem(der, "CERTIFICATE");
    const lines = pem.trimEnd().split("\n");
    expect(lines[0]).toBe("-----BEGIN CERTIFICATE-----");
    expect(lines.at(-1)).toBe("-----END CERTIFICATE-----");
    expect(lines.slice(1, -1).every((l) => l.length <= 64)).toBe(true);
    expect(Buffer.from(pemToDer(pem)).equals(der)).toBe(true);
  });

  it("reads several blocks with CRLF and text between them, and refuses mismatched or broken ones", () => {
    const text = `Bag Attributes\r\n${derToPem(Buffer.from("a"), "PRIVATE KEY").replace(/\n/g, "\r\n")}junk\n${derToPem(Buffer.from("b"))}`;
    expect(pemBlocks(text).map((b) => [b.label, Buffer.from(b.der).toString()])).toEqual([
      ["PRIVATE KEY", "a"],
      ["CERTIFICATE", "b"],
    ]);
    expect(() => pemBlocks("-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----")).toThrow("ends with END");
    expect(() => pemToDer(text + derToPem(Buffer.from("c")))).toThrow("exactly one PEM CERTIFICATE block, found 2");
    expect(() => fromBase64("AA*A", "x")).toThrow("x is not valid base64");
  });
});

describe("signers", () => {
  let key: TestKey;
  beforeAll(async () => {
    key = await newRsaKey();
  });

  it("signDigest is RSASSA-PKCS1-v1_5 over the digest, as Key Vault's sign returns it", () => {
    const data = Buffer.from("to be signed");
    for (const [alg, hash] of [
      ["RS256", "sha256"],
      ["RS384", "sha384"],
      ["RS512", "sha512"],
    ] as const) {
      const signature = signDigest(key.privateKey, alg, createHash(hash).update(data).digest());
      expect(verify(hash, data, createPublicKey(key.privateKey), signature)).toBe(true);
    }
    expect(() => signDigest(key.privateKey, "RS256", new Uint8Array(20))).toThrow(
      "RS256 signs a 32-byte digest, got 20",
    );
  });

  it("signDigest refuses a public RSA key and a private key of another type", () => {
    const digest = createHash("sha256").update("x").digest();
    expect(() => signDigest(createPublicKey(key.privateKey), "RS256", digest)).toThrow(
      "signDigest needs an RSA private key",
    );
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    expect(() => signDigest(ec, "RS256", digest)).toThrow("signDigest needs an RSA private key");
    // The signer built over such a key rejects, it does not throw.
    return expect(createKeyObjectSigner(ec).sign(digest)).rejects.toThrow("signDigest needs an RSA private key");
  });

  it("the signing stand-in is a non-extractable private key for signing only, and signs with nothing else", async () => {
    const { crypto, signingKey } = signerCrypto(createKeyObjectSigner(key.privateKey, "RS384"));
    expect(signingKey).toEqual({
      algorithm: { name: "RSASSA-PKCS1-v1_5", hash: { name: "SHA-384" } },
      extractable: false,
      type: "private",
      usages: ["sign"],
    });
    const data = Buffer.from("tbs");
    const signature = await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, signingKey, data);
    expect(verify("sha384", data, createPublicKey(key.privateKey), Buffer.from(signature))).toBe(true);
    // A look-alike key (or the caller's real one) is not routed to the signer.
    await expect(crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, { ...signingKey }, data)).rejects.toThrow(
      "this crypto provider only signs with its own signer",
    );
    await expect(crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, key.pair.privateKey, data)).rejects.toThrow(
      "this crypto provider only signs with its own signer",
    );
  });

  it("refuses an empty signature from the signer", async () => {
    const empty = signerCrypto({ algorithm: "RS256", sign: () => Promise.resolve(new Uint8Array(0)) });
    await expect(
      empty.crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, empty.signingKey, Buffer.from("tbs")),
    ).rejects.toThrow("the signer returned an empty signature");
  });

  it("hands the signer exactly one SHA-256 digest of the TBS bytes", async () => {
    const inner = createKeyObjectSigner(key.privateKey);
    const digests: Uint8Array[] = [];
    const recording: Signer = {
      algorithm: "RS256",
      sign: (digest) => {
        digests.push(digest);
        return inner.sign(digest);
      },
    };
    const der = await buildRootCertificate({
      subject: "CN=Recorded",
      publicKey: key.spki,
      validity: rootValidity(new Date(), 1),
      serial: generateSerialNumber(),
      signer: recording,
    });
    expect(digests).toHaveLength(1);
    expect(Buffer.from(digests[0] ?? []).equals(createHash("sha256").update(certificateParts(der).tbs).digest())).toBe(
      true,
    );
  });

  it("rsaSpkiFromModulus rebuilds the SPKI from Key Vault's n and e", () => {
    const jwk = createPublicKey({ key: Buffer.from(key.spki), format: "der", type: "spki" }).export({ format: "jwk" });
    const n = Buffer.from(String(jwk.n), "base64url");
    const e = Buffer.from(String(jwk.e), "base64url");
    expect(Buffer.from(rsaSpkiFromModulus(n, e)).equals(Buffer.from(key.spki))).toBe(true);
    // Key Vault may send the modulus with a leading zero octet.
    expect(Buffer.from(rsaSpkiFromModulus(Buffer.concat([Buffer.from([0]), n]), e)).equals(Buffer.from(key.spki))).toBe(
      true,
    );
  });
});
