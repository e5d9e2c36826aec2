// A certificate's addressable key and secret through the real KeyClient, CryptographyClient and SecretClient:
// remote signing verified with the certificate's public key, key_ops from the policy's key usage, the secret's
// PFX or PEM with the private key only when exportable, and the refusals of a disabled certificate.
import "reflect-metadata";
import { X509Certificate, createHash, createPrivateKey, createPublicKey, verify } from "node:crypto";
import { createSecureContext } from "node:tls";
import type { CertificatePolicy } from "@azure/keyvault-certificates";
import { POLL, openssl, selfPolicy, startHarness, uniqueCertName } from "./harness";
import { pemBlocks } from "../../../src/domain/pem";
import type { Harness } from "./harness";

/** PKCS#8's PEM label, assembled so that this file never holds a key's armour line. */
const KEY_LABEL = ["PRIVATE", "KEY"].join(" ");

function labels(text: string): string[] {
  return pemBlocks(text).map((block) => block.label);
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

async function createSelf(name: string, overrides: Partial<CertificatePolicy> = {}) {
  return (await h.certificates.beginCreateCertificate(name, selfPolicy(overrides), POLL)).pollUntilDone();
}

describe("the certificate's key", () => {
  it("signs digests with RS256, RS384 and RS512; the signatures verify with the certificate's public key", async () => {
    const name = uniqueCertName("sign");
    const created = await createSelf(name, { exportable: false, keyUsage: ["keyCertSign", "cRLSign"] });
    const publicKey = new X509Certificate(Buffer.from(created.cer!)).publicKey;
    const crypto = h.cryptography(created.keyId!);
    const data = Buffer.from("to be signed: a TBSCertificate");
    for (const [alg, hash] of [
      ["RS256", "sha256"],
      ["RS384", "sha384"],
      ["RS512", "sha512"],
    ] as const) {
      const digest = createHash(hash).update(data).digest();
      const result = await crypto.sign(alg, digest);
      expect(result.keyID).toBe(created.keyId);
      expect(verify(hash, data, publicKey, Buffer.from(result.result))).toBe(true);
      const check = await crypto.verify(alg, digest, result.result);
      expect(check.result).toBe(true);
    }
    // A client made from the versionless key id signs with the latest version.
    const digest = createHash("sha256").update(data).digest();
    const latest = await h.cryptography(`${h.vault.url}/keys/${name}`).sign("RS256", digest);
    expect(verify("sha256", data, publicKey, Buffer.from(latest.result))).toBe(true);
    expect(h.vault.stats.operation("keys.sign").byStatus["200"]).toBeGreaterThanOrEqual(4);
    // The key never left: the vault still holds it as non-exportable.
    expect(h.vault.vault.describe(name).exportable).toBe(false);
  });

  it("refuses a digest of the wrong length for the algorithm", async () => {
    const created = await createSelf(uniqueCertName("digest"));
    const crypto = h.cryptography(created.keyId!);
    await expect(crypto.sign("RS256", Buffer.alloc(20))).rejects.toMatchObject({
      statusCode: 400,
      code: "BadParameter",
    });
  });

  it("returns the public JWK with key_ops mapped from the policy's key usage", async () => {
    const name = uniqueCertName("jwk");
    const created = await createSelf(name, { keyUsage: ["keyCertSign", "cRLSign"] });
    const key = await h.keys.getKey(name);
    expect(key.id).toBe(created.keyId);
    expect(key.keyType).toBe("RSA");
    expect(key.keyOperations).toEqual(["sign", "verify"]);
    expect(key.properties.managed).toBe(true);
    const jwkPublic = createPublicKey({
      key: {
        kty: "RSA",
        n: Buffer.from(key.key!.n!).toString("base64url"),
        e: Buffer.from(key.key!.e!).toString("base64url"),
      },
      format: "jwk",
    });
    const certPublic = new X509Certificate(Buffer.from(created.cer!)).publicKey;
    expect(jwkPublic.equals(certPublic)).toBe(true);

    const defaults = await createSelf(uniqueCertName("jwk-default"));
    expect((await h.keys.getKey(defaults.name)).keyOperations).toEqual(["sign", "verify", "wrapKey", "unwrapKey"]);
    const wrapOnly = await createSelf(uniqueCertName("jwk-wrap"), { keyUsage: ["keyEncipherment"] });
    await expect(h.cryptography(wrapOnly.keyId!).sign("RS256", Buffer.alloc(32))).rejects.toThrow(/sign/);
  });
});

describe("the certificate's secret", () => {
  it("holds a password-less PFX with key and certificate for an exportable key", async () => {
    const name = uniqueCertName("pfx");
    const created = await createSelf(name, { exportable: true, contentType: "application/x-pkcs12" });
    const secret = await h.secrets.getSecret(name);
    expect(secret.properties.contentType).toBe("application/x-pkcs12");
    expect(secret.properties.id).toBe(created.secretId);
    expect(secret.properties.certificateKeyId).toBe(created.keyId);
    expect(secret.properties.managed).toBe(true);
    const pfx = Buffer.from(secret.value!, "base64");

    expect(() => createSecureContext({ pfx, passphrase: "" })).not.toThrow();
    const dump = await openssl((dir) => ["pkcs12", "-in", `${dir}/s.pfx`, "-passin", "pass:", "-nodes", "-info"], {
      "s.pfx": pfx,
    });
    expect(dump).toContain("MAC: sha256");
    const key = pemBlocks(dump).find((block) => block.label === KEY_LABEL);
    expect(key).toBeDefined();
    const certPublic = new X509Certificate(Buffer.from(created.cer!)).publicKey;
    const privateKey = createPrivateKey({ key: Buffer.from(key!.der), format: "der", type: "pkcs8" });
    expect(createPublicKey(privateKey).equals(certPublic)).toBe(true);
  });

  it("opens with openssl pkcs12 -info -nokeys -passin pass: as Key Vault's holds it: plain bags, empty-password MAC", async () => {
    const name = uniqueCertName("pfx-info");
    const created = await createSelf(name, { exportable: true, contentType: "application/x-pkcs12" });
    const pfx = Buffer.from((await h.secrets.getSecret(name)).value!, "base64");
    const info = await openssl((dir) => ["pkcs12", "-in", `${dir}/s.pfx`, "-info", "-nokeys", "-passin", "pass:"], {
      "s.pfx": pfx,
    });
    // The MAC verifies under the empty password (openssl fails with "Mac verify error" otherwise).
    expect(info).toMatch(/MAC: sha256, Iteration 2048/);
    expect(info).not.toMatch(/Mac verify error|invalid password/i);
    // No encryption: one plain PKCS7 Data with a plain key bag (not shrouded) and the certificate bag.
    expect(info).toContain("PKCS7 Data");
    expect(info).not.toContain("PKCS7 Encrypted data");
    expect(info).toContain("Key bag");
    expect(info).not.toContain("Shrouded Keybag");
    expect(info).toContain("Certificate bag");
    // The leaf carries the localKeyId that ties it to the key (SHA-1 of the leaf); it comes back byte for byte.
    const localKeyId = /localKeyID: ([0-9A-F ]+)/.exec(info)?.[1]?.replace(/ /g, "");
    expect(localKeyId).toBe(createHash("sha1").update(Buffer.from(created.cer!)).digest("hex").toUpperCase());
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(info)?.[0];
    expect(new X509Certificate(certPem!).raw.equals(Buffer.from(created.cer!))).toBe(true);
    expect(labels(info)).toEqual(["CERTIFICATE"]);
  });

  it("holds the certificate without the private key when the key is not exportable", async () => {
    const name = uniqueCertName("pfx-noexport");
    const created = await createSelf(name, { exportable: false, contentType: "application/x-pkcs12" });
    const secret = await h.secrets.getSecret(name);
    const dump = await openssl((dir) => ["pkcs12", "-in", `${dir}/s.pfx`, "-passin", "pass:", "-nodes"], {
      "s.pfx": Buffer.from(secret.value!, "base64"),
    });
    expect(labels(dump)).toEqual(["CERTIFICATE"]);
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(dump)?.[0];
    expect(new X509Certificate(certPem!).raw.equals(Buffer.from(created.cer!))).toBe(true);
  });

  it("holds PEM (key, then certificate) or the certificate alone, per exportability", async () => {
    const exportable = await createSelf(uniqueCertName("pem"), { contentType: "application/x-pem-file" });
    const pem = (await h.secrets.getSecret(exportable.name)).value!;
    expect(labels(pem)).toEqual([KEY_LABEL, "CERTIFICATE"]);
    const certPublic = new X509Certificate(Buffer.from(exportable.cer!)).publicKey;
    expect(createPublicKey(createPrivateKey(pem)).equals(certPublic)).toBe(true);

    const locked = await createSelf(uniqueCertName("pem-noexport"), {
      contentType: "application/x-pem-file",
      exportable: false,
    });
    const lockedPem = (await h.secrets.getSecret(locked.name)).value!;
    expect(labels(lockedPem)).toEqual(["CERTIFICATE"]);
    expect(new X509Certificate(lockedPem).raw.equals(Buffer.from(locked.cer!))).toBe(true);
  });
});

describe("a disabled certificate", () => {
  it("refuses its secret and its key, and serves them again once enabled", async () => {
    const name = uniqueCertName("disabled");
    const created = await createSelf(name);
    await h.certificates.updateCertificateProperties(name, "", { enabled: false });

    await expect(h.secrets.getSecret(name)).rejects.toMatchObject({ statusCode: 403, code: "Forbidden" });
    await expect(h.keys.getKey(name)).rejects.toMatchObject({ statusCode: 403, code: "Forbidden" });
    await expect(h.cryptography(created.keyId!).sign("RS256", Buffer.alloc(32))).rejects.toMatchObject({
      statusCode: 403,
    });
    // The certificate itself stays readable.
    expect((await h.certificates.getCertificate(name)).properties.enabled).toBe(false);

    await h.certificates.updateCertificateProperties(name, "", { enabled: true });
    expect((await h.secrets.getSecret(name)).value).toBeDefined();
  });
  it("disabled by version refuses that version's key only (a retired root's every version)", async () => {
    const name = uniqueCertName("disabled-version");
    const older = await createSelf(name);
    const newer = await createSelf(name);
    expect(newer.properties.version).not.toBe(older.properties.version);
    await h.certificates.updateCertificateProperties(name, older.properties.version ?? "", { enabled: false });

    await expect(h.cryptography(older.keyId!).sign("RS256", Buffer.alloc(32))).rejects.toMatchObject({
      statusCode: 403,
    });
    expect((await h.cryptography(newer.keyId!).sign("RS256", Buffer.alloc(32))).result).toHaveLength(256);
    await h.certificates.updateCertificateProperties(name, newer.properties.version ?? "", { enabled: false });
    await expect(h.cryptography(newer.keyId!).sign("RS256", Buffer.alloc(32))).rejects.toMatchObject({
      statusCode: 403,
    });
  });
});
