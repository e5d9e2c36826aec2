import { createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { buildClientCertificate } from "../../../src/domain/client-certificate";
import { readCertificateSecret } from "../../../src/domain/certificate-secret";
import { derToPem, pemBlocks, toBase64 } from "../../../src/domain/pem";
import { buildPkcs12 } from "../../../src/domain/pkcs12";
import { readPkcs12 } from "../../../src/domain/pkcs12-read";
import { generateSerialNumber } from "../../../src/domain/serial-number";
import { thumbprintOf } from "../../../src/domain/thumbprint";
import { clientValidity } from "../../../src/domain/validity";
import { TempDir, csrFor, newRsaKey, newTestCa, openssl } from "./ca-test-support";
import type { TestCa, TestKey } from "./ca-test-support";

const UPN = "alice@contoso.com";
const PASSWORD = "Correct horse battery staple";

describe("buildPkcs12", () => {
  let dir: TempDir;
  let ca: TestCa;
  let userKey: TestKey;
  let leafDer: Uint8Array;
  let rootPem: string;

  beforeAll(async () => {
    dir = await TempDir.create();
    [ca, userKey] = await Promise.all([newTestCa(), newRsaKey()]);
    leafDer = await buildClientCertificate({
      csrDer: await csrFor(userKey, `CN=${UPN}`),
      upn: UPN,
      issuer: ca.rootDer,
      validity: clientValidity(new Date(), 30),
      serial: generateSerialNumber(),
      signer: ca.signer,
    });
    rootPem = await dir.writePem("root.pem", ca.rootDer);
  });
  afterAll(() => dir.remove());

  async function opensslInfo(file: string, password: string, extra: readonly string[] = []) {
    return openssl(["pkcs12", "-in", file, "-info", "-nodes", "-passin", `pass:${password}`, ...extra]);
  }

  it("writes AES-256-CBC / PBKDF2-SHA256 / SHA-256 MAC by default, readable by openssl with key, leaf and root", async () => {
    const pfx = await buildPkcs12({
      privateKey: userKey.pkcs8,
      certificate: leafDer,
      chain: [ca.rootDer],
      friendlyName: "Contoso VPN - alice",
      password: PASSWORD,
      iterations: 2048,
    });
    const file = await dir.write("aes.p12", pfx);
    const info = await opensslInfo(file, PASSWORD);
    expect(info.code).toBe(0);
    const text = info.stdout + info.stderr;
    expect(text).toContain("MAC: sha256, Iteration 2048");
    expect(text).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
    expect(text).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
    expect(text).toContain("friendlyName: Contoso VPN - alice");

    const blocks = pemBlocks(info.stdout);
    const keys = blocks.filter((b) => b.label === "PRIVATE KEY");
    const certs = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => thumbprintOf(b.der));
    expect(keys).toHaveLength(1);
    expect(keys[0]?.der).toEqual(userKey.pkcs8);
    expect(certs).toEqual([thumbprintOf(leafDer), thumbprintOf(ca.rootDer)]);

    // The key bag and the leaf carry the same localKeyID: the leaf's SHA-1 thumbprint.
    const localKeyIds = [...text.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((m) => (m[1] ?? "").replace(/ /g, ""));
    expect(localKeyIds).toEqual([thumbprintOf(leafDer), thumbprintOf(leafDer)]);
  });

  it("writes the legacy 3DES / SHA-1 MAC form, which OpenSSL 3 opens without -legacy", async () => {
    const pfx = await buildPkcs12({
      privateKey: userKey.pkcs8,
      certificate: leafDer,
      chain: [ca.rootDer],
      password: PASSWORD,
      encryption: "legacy3des",
    });
    const file = await dir.write("legacy.p12", pfx);
    const info = await opensslInfo(file, PASSWORD);
    expect(info.code).toBe(0);
    const text = info.stdout + info.stderr;
    expect(text).toContain("MAC: sha1, Iteration 2048");
    expect(text).toContain("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048");
    expect(text).toContain("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048");
    const blocks = pemBlocks(info.stdout);
    expect(blocks.filter((b) => b.label === "PRIVATE KEY")).toHaveLength(1);
    expect(blocks.filter((b) => b.label === "CERTIFICATE")).toHaveLength(2);
  });

  it("uses 100,000 iterations by default for AES and fails with a wrong passphrase", async () => {
    const pfx = await buildPkcs12({
      privateKey: userKey.pkcs8,
      certificate: leafDer,
      chain: [ca.rootDer],
      password: PASSWORD,
    });
    const file = await dir.write("default.p12", pfx);
    const good = await openssl(["pkcs12", "-in", file, "-info", "-noout", "-passin", `pass:${PASSWORD}`]);
    expect(good.stdout + good.stderr).toContain("MAC: sha256, Iteration 100000");
    const bad = await openssl(["pkcs12", "-in", file, "-info", "-noout", "-passin", "pass:wrong"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Mac verify error|invalid password/i);
    await expect(readPkcs12(pfx, "wrong")).rejects.toThrow("MAC does not verify");
  });

  it("takes a non-ASCII passphrase the way openssl does", async () => {
    const password = "pässwörd-€";
    const pfx = await buildPkcs12({ privateKey: userKey.pkcs8, certificate: leafDer, password, iterations: 1000 });
    const info = await opensslInfo(await dir.write("unicode.p12", pfx), password);
    expect(info.code).toBe(0);
    expect(pemBlocks(info.stdout).filter((b) => b.label === "PRIVATE KEY")).toHaveLength(1);
  });

  it("reads its own files back, both modes", async () => {
    for (const encryption of ["aes256", "legacy3des"] as const) {
      const pfx = await buildPkcs12({
        privateKey: userKey.pkcs8,
        certificate: leafDer,
        chain: [ca.rootDer],
        friendlyName: "alice",
        password: PASSWORD,
        encryption,
        iterations: 1000,
      });
      const contents = await readPkcs12(pfx, PASSWORD);
      expect(contents.privateKeys.map((k) => k.der)).toEqual([userKey.pkcs8]);
      expect(contents.privateKeys[0]?.localKeyId).toBe(thumbprintOf(leafDer));
      expect(contents.privateKeys[0]?.friendlyName).toBe("alice");
      expect(contents.certificates.map((c) => thumbprintOf(c.der))).toEqual([
        thumbprintOf(leafDer),
        thumbprintOf(ca.rootDer),
      ]);
    }
  });

  it("refuses an empty passphrase, a key that does not match the certificate, and silly iteration counts", async () => {
    const other = await newRsaKey();
    await expect(buildPkcs12({ privateKey: userKey.pkcs8, certificate: leafDer, password: "" })).rejects.toThrow(
      "non-empty passphrase",
    );
    await expect(buildPkcs12({ privateKey: other.pkcs8, certificate: leafDer, password: PASSWORD })).rejects.toThrow(
      "does not match",
    );
    await expect(
      buildPkcs12({ privateKey: userKey.pkcs8, certificate: leafDer, password: PASSWORD, iterations: 10 }),
    ).rejects.toThrow("iterations must be");
  });

  describe("reading what Key Vault and OpenSSL produce", () => {
    let keyPem: string;
    let leafPem: string;

    beforeAll(async () => {
      keyPem = await dir.write("user.key", derToPem(userKey.pkcs8, "PRIVATE KEY"));
      leafPem = await dir.writePem("leaf.pem", leafDer);
    });

    async function opensslExport(name: string, password: string, extra: readonly string[]): Promise<Uint8Array> {
      const out = `${dir.path}/${name}`;
      const result = await openssl([
        "pkcs12",
        "-export",
        "-inkey",
        keyPem,
        "-in",
        leafPem,
        "-certfile",
        rootPem,
        "-out",
        out,
        "-passout",
        `pass:${password}`,
        ...extra,
      ]);
      expect(result.stderr).toBe("");
      return new Uint8Array(await readFile(out));
    }

    it("reads a password-less RC2-40 / 3DES PFX (the Windows and legacy default) as a base64 secret", async () => {
      const pfx = await opensslExport("kv-legacy.p12", "", ["-legacy"]);
      const info = await openssl([
        "pkcs12",
        "-in",
        `${dir.path}/kv-legacy.p12`,
        "-info",
        "-noout",
        "-passin",
        "pass:",
        "-legacy",
      ]);
      expect(info.stdout + info.stderr).toContain("pbeWithSHA1And40BitRC2-CBC");
      const secret = await readCertificateSecret(toBase64(pfx), "application/x-pkcs12");
      expect(secret.privateKey).toEqual(userKey.pkcs8);
      expect(thumbprintOf(secret.certificate)).toBe(thumbprintOf(leafDer));
      expect(secret.chain.map(thumbprintOf)).toEqual([thumbprintOf(ca.rootDer)]);
    });

    it("reads a password-less AES PFX, an unencrypted one and one without a MAC", async () => {
      for (const [name, extra] of [
        ["kv-aes.p12", []],
        ["kv-plain.p12", ["-keypbe", "NONE", "-certpbe", "NONE"]],
        ["kv-nomac.p12", ["-keypbe", "NONE", "-certpbe", "NONE", "-nomac"]],
      ] as const) {
        const pfx = await opensslExport(name, "", extra);
        const secret = await readCertificateSecret(toBase64(pfx), undefined);
        expect(secret.privateKey).toEqual(userKey.pkcs8);
        expect(secret.chain).toHaveLength(1);
      }
    });

    it("reads a PEM secret with a PKCS#8 or PKCS#1 key and orders the chain from the leaf", async () => {
      const pkcs1 = createPrivateKey({ key: Buffer.from(userKey.pkcs8), format: "der", type: "pkcs8" }).export({
        type: "pkcs1",
        format: "der",
      });
      for (const keyBlock of [
        derToPem(userKey.pkcs8, "PRIVATE KEY"),
        derToPem(new Uint8Array(pkcs1), "RSA PRIVATE KEY"),
      ]) {
        const pem = derToPem(ca.rootDer) + keyBlock + derToPem(leafDer);
        const secret = await readCertificateSecret(pem, "application/x-pem-file");
        expect(secret.privateKey).toEqual(userKey.pkcs8);
        expect(thumbprintOf(secret.certificate)).toBe(thumbprintOf(leafDer));
        expect(secret.chain.map(thumbprintOf)).toEqual([thumbprintOf(ca.rootDer)]);
      }
    });

    it("says why when the secret has no key", async () => {
      await expect(readCertificateSecret(derToPem(leafDer), "application/x-pem-file")).rejects.toThrow(
        "no private key (is the key exportable?)",
      );
    });
  });
});
