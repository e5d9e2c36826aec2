import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { buildClientCertificate } from "../../../src/domain/client-certificate";
import { pemBlocks } from "../../../src/domain/pem";
import type { Pkcs12Encryption } from "../../../src/domain/pkcs12";
import { MAX_CONCURRENT_BUILDS, buildPkcs12, pkcs12Builds } from "../../../src/workers/pkcs12-thread";
import { generateSerialNumber } from "../../../src/domain/serial-number";
import { thumbprintOf } from "../../../src/domain/thumbprint";
import { clientValidity } from "../../../src/domain/validity";
import { TempDir, csrFor, newRsaKey, newTestCa, openssl } from "./ca-test-support";
import type { TestCa, TestKey } from "./ca-test-support";
import { pkcs12Randomness } from "./pkcs12-randomness";

// Each build starts a worker thread that (from source) compiles its TypeScript first, then hashes up to 300,000
// iterations: seconds on a loaded machine, so the unit default of 10 s is too tight for this file.
jest.setTimeout(60_000);

const UPN = "alice@contoso.com";
const PASSWORD = "Correct horse battery staple";

describe("buildPkcs12", () => {
  let dir: TempDir;
  let ca: TestCa;
  let userKey: TestKey;
  let leafDer: Uint8Array;

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

  it("writes the legacy 3DES key bag / SHA-1 MAC form, which OpenSSL 3 opens without -legacy", async () => {
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
    // Certificates are public: node-forge stores them unencrypted, which every reader accepts.
    expect(text).toContain("PKCS7 Data");
    expect(text).toContain("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048");
    const blocks = pemBlocks(info.stdout);
    expect(blocks.filter((b) => b.label === "PRIVATE KEY").map((b) => b.der)).toEqual([userKey.pkcs8]);
    // The certificates as issued, byte for byte, leaf first.
    const certs = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => thumbprintOf(b.der));
    expect(certs).toEqual([thumbprintOf(leafDer), thumbprintOf(ca.rootDer)]);
    const localKeyIds = [...text.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((m) => (m[1] ?? "").replace(/ /g, ""));
    expect(localKeyIds).toEqual([thumbprintOf(leafDer), thumbprintOf(leafDer)]);
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
  });

  it.each(["aes256", "legacy3des"] as const)(
    "takes a non-ASCII passphrase, beyond the BMP too, the way openssl does (%s)",
    async (encryption: Pkcs12Encryption) => {
      const password = "pässwörd-€-😀";
      const pfx = await buildPkcs12({
        privateKey: userKey.pkcs8,
        certificate: leafDer,
        password,
        encryption,
        iterations: 1000,
      });
      const info = await opensslInfo(await dir.write(`unicode-${encryption}.p12`, pfx), password);
      expect(info.code).toBe(0);
      expect(pemBlocks(info.stdout).filter((b) => b.label === "PRIVATE KEY")).toHaveLength(1);
    },
  );

  it.each(["aes256", "legacy3des"] as const)(
    "draws fresh salts and IVs for each export (%s): two exports of one certificate share none",
    async (encryption: Pkcs12Encryption) => {
      const build = () =>
        buildPkcs12({
          privateKey: userKey.pkcs8,
          certificate: leafDer,
          chain: [ca.rootDer],
          password: PASSWORD,
          encryption,
          iterations: 1000,
        });
      const [first, second] = await Promise.all([build(), build()]);
      const parts = [pkcs12Randomness(first), pkcs12Randomness(second)];
      for (const part of parts) {
        // AES: PBES2 on the certificates and on the key, each [salt, iv]; legacy: PBE on the key, [salt].
        expect(part.encryptions.map((e) => e.length)).toEqual(encryption === "aes256" ? [2, 2] : [1]);
        expect(part.macSalt.length).toBeGreaterThanOrEqual(16);
      }
      const all = parts.flatMap((p) => [p.macSalt, ...p.encryptions.flat()]);
      expect(all.every((value) => value.length >= 16 && !/^(00)+$/.test(value))).toBe(true);
      expect(new Set(all).size).toBe(all.length);
    },
  );

  it("keeps the event loop free while the key derivations run", async () => {
    // 300,000 iterations: seconds of hashing. The share of the build this thread's event loop spends busy (Node's
    // per-thread event loop utilisation, not a wall-clock bound) is about 0.8 when the derivations run here, under
    // 0.05 when a worker thread does them.
    const before = performance.eventLoopUtilization();
    await buildPkcs12({ privateKey: userKey.pkcs8, certificate: leafDer, password: PASSWORD, iterations: 300_000 });
    const { utilization } = performance.eventLoopUtilization(before);
    expect(utilization).toBeLessThan(0.25);
  });

  it("runs at most MAX_CONCURRENT_BUILDS threads at once and serves every build queued behind them", async () => {
    const builds = Array.from({ length: 5 }, (_, i) =>
      buildPkcs12({
        privateKey: userKey.pkcs8,
        certificate: leafDer,
        password: PASSWORD,
        encryption: i % 2 === 0 ? "aes256" : "legacy3des",
        iterations: 1000,
      }),
    );
    // Each call takes a slot or a place in line before its first await.
    expect(pkcs12Builds()).toEqual({ running: MAX_CONCURRENT_BUILDS, waiting: 5 - MAX_CONCURRENT_BUILDS });
    const files = await Promise.all(builds);
    expect(pkcs12Builds()).toEqual({ running: 0, waiting: 0 });
    const opened = await Promise.all(
      files.map(async (pfx, i) => opensslInfo(await dir.write(`queued-${i}.p12`, pfx), PASSWORD)),
    );
    expect(opened.map((o) => o.code)).toEqual([0, 0, 0, 0, 0]);
  });

  it("answers a build that fails on its thread with the library's reason, and frees the slot", async () => {
    // node-forge's PKCS#12 takes RSA keys only: an EC key fails inside the worker.
    const made = await openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${dir.path}/ec.key`,
      "-out",
      `${dir.path}/ec.pem`,
      "-subj",
      "/CN=ec",
      "-days",
      "1",
    ]);
    expect(made.code).toBe(0);
    const [keyBlock] = pemBlocks(await readFile(`${dir.path}/ec.key`, "utf8"));
    const [certBlock] = pemBlocks(await readFile(`${dir.path}/ec.pem`, "utf8"));
    const ec = { privateKey: keyBlock?.der ?? new Uint8Array(), certificate: certBlock?.der ?? new Uint8Array() };
    await expect(buildPkcs12({ ...ec, password: PASSWORD, encryption: "legacy3des" })).rejects.toThrow(
      /^PKCS#12 build failed: .*RSA/,
    );
    expect(pkcs12Builds()).toEqual({ running: 0, waiting: 0 });
    // The AES profile (pkijs) takes the EC key.
    const pfx = await buildPkcs12({ ...ec, password: PASSWORD, iterations: 1000 });
    expect((await opensslInfo(await dir.write("ec.p12", pfx), PASSWORD)).code).toBe(0);
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
});
