// The two PKCS#12 profiles, built in this process (the product builds them on a worker thread, see pkcs12.test.ts):
// what openssl reads from each file, so the profile's algorithms, counts, bags and attributes are checked where the
// code runs (a mutation test sees no coverage from a worker thread).
import { buildAesPkcs12 } from "../../../src/domain/pkcs12-aes";
import type { Pkcs12Job } from "../../../src/domain/pkcs12-job";
import { buildLegacyPkcs12 } from "../../../src/domain/pkcs12-legacy";
import { pemBlocks } from "../../../src/domain/pem";
import { thumbprintOf } from "../../../src/domain/thumbprint";
import { TempDir, newTestCa, openssl } from "./ca-test-support";
import type { TestCa } from "./ca-test-support";
import { pkcs12Randomness } from "./pkcs12-randomness";

jest.setTimeout(30_000);

const PASSWORD = "pässwörd-€-😀";

describe("PKCS#12 profiles", () => {
  let dir: TempDir;
  // The leaf is a root made for the test (its key matches it); the chain is a second root.
  let leaf: TestCa;
  let issuer: TestCa;

  beforeAll(async () => {
    dir = await TempDir.create();
    [leaf, issuer] = await Promise.all([newTestCa("CN=leaf"), newTestCa("CN=issuer")]);
  });
  afterAll(() => dir.remove());

  function job(encryption: Pkcs12Job["encryption"], friendlyName?: string): Pkcs12Job {
    return {
      encryption,
      privateKey: leaf.key.pkcs8,
      certificates: [leaf.rootDer, issuer.rootDer],
      ...(friendlyName === undefined ? {} : { friendlyName }),
      password: PASSWORD,
      iterations: 1000,
    };
  }

  async function read(name: string, pfx: Uint8Array): Promise<{ text: string; stdout: string }> {
    const file = await dir.write(name, pfx);
    const info = await openssl(["pkcs12", "-in", file, "-info", "-nodes", "-passin", `pass:${PASSWORD}`]);
    expect(info.code).toBe(0);
    return { text: info.stdout + info.stderr, stdout: info.stdout };
  }

  function contents(stdout: string, text: string) {
    const blocks = pemBlocks(stdout);
    return {
      keys: blocks.filter((b) => b.label === "PRIVATE KEY").map((b) => b.der),
      certificates: blocks.filter((b) => b.label === "CERTIFICATE").map((b) => thumbprintOf(b.der)),
      localKeyIds: [...text.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((m) => (m[1] ?? "").replace(/ /g, "")),
      friendlyNames: [...text.matchAll(/friendlyName: (.*)/g)].map((m) => m[1]),
    };
  }

  it("aes256: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) on both parts, an HMAC-SHA256 MAC, one iteration count", async () => {
    const { text, stdout } = await read("aes.p12", await buildAesPkcs12(job("aes256", "Contoso VPN")));
    expect(text).toContain("MAC: sha256, Iteration 1000");
    expect(text).toContain("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 1000, PRF hmacWithSHA256");
    expect(text).toContain("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 1000, PRF hmacWithSHA256");
    // Only the key bag and the leaf's certificate bag carry attributes: the leaf's SHA-1 and the friendly name.
    expect(contents(stdout, text)).toEqual({
      keys: [leaf.key.pkcs8],
      certificates: [thumbprintOf(leaf.rootDer), thumbprintOf(issuer.rootDer)],
      localKeyIds: [thumbprintOf(leaf.rootDer), thumbprintOf(leaf.rootDer)],
      friendlyNames: ["Contoso VPN", "Contoso VPN"],
    });
    // The attributes are on the leaf's certificate bag, not on the issuer's.
    const bags = stdout.split("Bag Attributes").slice(1);
    expect(bags.find((bag) => /subject=.*CN ?= ?leaf/.test(bag))).toContain("localKeyID");
    expect(bags.find((bag) => /subject=.*CN ?= ?issuer/.test(bag))).not.toContain("localKeyID");
  });

  it("aes256: no friendly name unless asked for, and fresh salts and IVs in every file", async () => {
    const [first, second] = await Promise.all([buildAesPkcs12(job("aes256")), buildAesPkcs12(job("aes256"))]);
    const { text, stdout } = await read("aes-plain.p12", first);
    expect(contents(stdout, text).friendlyNames).toEqual([]);
    expect(contents(stdout, text).localKeyIds).toHaveLength(2);
    const all = [first, second].flatMap((pfx) => {
      const parts = pkcs12Randomness(pfx);
      return [parts.macSalt, ...parts.encryptions.flat()];
    });
    expect(all).toHaveLength(10);
    expect(new Set(all).size).toBe(all.length);
  });

  it("aes256: refuses a job without a certificate", async () => {
    await expect(buildAesPkcs12({ ...job("aes256"), certificates: [] })).rejects.toThrow("no certificate");
  });

  it("legacy3des: the key bag under 3DES, certificates in plain SafeContents, an HMAC-SHA1 MAC with an 8-byte salt", async () => {
    const { text, stdout } = await read("legacy.p12", buildLegacyPkcs12(job("legacy3des", "Contoso VPN")));
    expect(text).toContain("MAC: sha1, Iteration 1000");
    expect(text).toContain("MAC length: 20, salt length: 8");
    expect(text).toContain("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 1000");
    expect(text).toContain("PKCS7 Data");
    expect(text).not.toContain("PKCS7 Encrypted data");
    expect(contents(stdout, text)).toEqual({
      keys: [leaf.key.pkcs8],
      certificates: [thumbprintOf(leaf.rootDer), thumbprintOf(issuer.rootDer)],
      localKeyIds: [thumbprintOf(leaf.rootDer), thumbprintOf(leaf.rootDer)],
      friendlyNames: ["Contoso VPN", "Contoso VPN"],
    });
  });

  it("legacy3des: no friendly name unless asked for", async () => {
    const { text, stdout } = await read("legacy-plain.p12", buildLegacyPkcs12(job("legacy3des")));
    expect(contents(stdout, text).friendlyNames).toEqual([]);
    expect(contents(stdout, text).localKeyIds).toHaveLength(2);
  });
});
