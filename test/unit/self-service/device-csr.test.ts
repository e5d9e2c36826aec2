// Device CSR checks (src/domain/device-csr.ts) on requests made the way a device makes them: `openssl req`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CertificateRequestRejectedError } from "../../../src/domain/client-certificate";
import { MAX_CSR_PEM_CHARS, checkDeviceCsr } from "../../../src/domain/device-csr";
import { derToPem, pemToDer } from "../../../src/domain/pem";
import { assertUpn } from "../../../src/domain/upn";

const alice = assertUpn("alice@contoso.com");
const dir = mkdtempSync(join(tmpdir(), "device-csr-"));
let counter = 0;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `openssl req -new` with a fresh key made by `keyArgs` (genpkey options) and extra req options. */
function opensslCsr(keyArgs: readonly string[], reqArgs: readonly string[]): string {
  counter += 1;
  const key = join(dir, `k${counter}.pem`);
  const csr = join(dir, `r${counter}.pem`);
  execFileSync("openssl", ["genpkey", ...keyArgs, "-out", key], { stdio: "pipe" });
  execFileSync("openssl", ["req", "-new", "-key", key, "-out", csr, ...reqArgs], { stdio: "pipe" });
  return readFileSync(csr, "utf8");
}

const rsa = (bits: number) => ["-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${bits}`];

async function rejection(pem: string): Promise<string> {
  const error = await checkDeviceCsr(pem, alice).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CertificateRequestRejectedError);
  return (error as Error).message;
}

describe("checkDeviceCsr", () => {
  it("accepts an RSA-2048 request for the caller and keys it on its public key", async () => {
    const pem = opensslCsr(rsa(2048), ["-subj", "/CN=Alice@Contoso.com"]);
    const checked = await checkDeviceCsr(pem, alice);
    expect(checked.modulusBits).toBe(2048);
    expect(checked.publicKeySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(checked.csrDer)).toEqual(Buffer.from(pemToDer(pem, "CERTIFICATE REQUEST")));
  });

  it("accepts an empty subject (the names are ours to set)", async () => {
    const pem = opensslCsr(rsa(3072), ["-subj", "/"]);
    expect((await checkDeviceCsr(pem, alice)).modulusBits).toBe(3072);
  });

  it("gives the same key hash for two requests of the same key", async () => {
    const key = join(dir, "same.pem");
    execFileSync("openssl", ["genpkey", ...rsa(2048), "-out", key], { stdio: "pipe" });
    const req = (subj: string) =>
      execFileSync("openssl", ["req", "-new", "-key", key, "-subj", subj], { stdio: "pipe" }).toString();
    const a = await checkDeviceCsr(req("/CN=alice@contoso.com"), alice);
    const b = await checkDeviceCsr(req("/"), alice);
    expect(a.publicKeySha256).toBe(b.publicKeySha256);
  });

  it("refuses a request whose signature does not verify", async () => {
    const pem = opensslCsr(rsa(2048), ["-subj", "/CN=alice@contoso.com"]);
    const der = pemToDer(pem, "CERTIFICATE REQUEST");
    const tampered = new Uint8Array(der);
    // The signature is the last bytes of the request.
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0xff;
    expect(await rejection(derToPem(tampered, "CERTIFICATE REQUEST"))).toMatch(/signature does not verify/);
  });

  it("refuses RSA smaller than 2048 bits", async () => {
    const pem = opensslCsr(rsa(1024), ["-subj", "/CN=alice@contoso.com"]);
    expect(await rejection(pem)).toMatch(/^CSR public key is RSA-1024; at least RSA-2048/);
  });

  it("refuses an EC key, saying the gateway takes RSA only", async () => {
    const pem = opensslCsr(
      ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
      ["-subj", "/CN=alice@contoso.com"],
    );
    expect(await rejection(pem)).toMatch(/key type ec; only RSA.*RSA client certificates only/);
  });

  it("refuses garbage, a certificate instead of a request, and two requests at once", async () => {
    expect(await rejection("hello")).toMatch(/exactly one PEM block/);
    expect(await rejection(derToPem(new Uint8Array([1, 2, 3]), "CERTIFICATE REQUEST"))).toMatch(
      /not a readable PKCS#10/,
    );
    expect(await rejection("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n")).toMatch(
      /not readable PEM/,
    );
    const pem = opensslCsr(rsa(2048), ["-subj", "/"]);
    expect(
      await rejection(pem.replace("CERTIFICATE REQUEST", "CERTIFICATE").replace("CERTIFICATE REQUEST", "CERTIFICATE")),
    ).toMatch(/exactly one PEM block/);
    expect(await rejection(`${pem}${pem}`)).toMatch(/exactly one PEM block/);
  });

  it("refuses oversize text before parsing it", async () => {
    const pem = opensslCsr(rsa(2048), ["-subj", "/"]);
    expect(await rejection(pem + " ".repeat(MAX_CSR_PEM_CHARS))).toMatch(/at most 8192/);
  });

  it("takes a request of exactly MAX_CSR_PEM_CHARS characters and refuses one more", async () => {
    const pem = opensslCsr(rsa(2048), ["-subj", "/"]);
    const padded = pem + "\n".repeat(MAX_CSR_PEM_CHARS - pem.length);
    expect(padded).toHaveLength(MAX_CSR_PEM_CHARS);
    expect((await checkDeviceCsr(padded, alice)).modulusBits).toBe(2048);
    expect(await rejection(`${padded}\n`)).toBe("CSR is 8193 characters; at most 8192");
  });

  it("takes the caller's own name with surrounding spaces (openssl keeps them in the CN)", async () => {
    const pem = opensslCsr(rsa(2048), ["-subj", "/CN= Alice@contoso.com "]);
    expect((await checkDeviceCsr(pem, alice)).modulusBits).toBe(2048);
  });

  it("refuses a request naming mallory in its CN, its subject e-mail or its SAN", async () => {
    expect(await rejection(opensslCsr(rsa(2048), ["-subj", "/CN=mallory@contoso.com"]))).toMatch(
      /names 'mallory@contoso.com', but your token is for alice@contoso.com/,
    );
    expect(await rejection(opensslCsr(rsa(2048), ["-subj", "/emailAddress=mallory@contoso.com"]))).toMatch(
      /mallory@contoso.com/,
    );
    const san = opensslCsr(rsa(2048), [
      "-subj",
      "/CN=alice@contoso.com",
      "-addext",
      "subjectAltName=email:mallory@contoso.com",
    ]);
    expect(await rejection(san)).toMatch(/alternative name 'mallory@contoso.com'/);
    const upnSan = opensslCsr(rsa(2048), [
      "-subj",
      "/",
      "-addext",
      "subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:mallory@contoso.com",
    ]);
    expect(await rejection(upnSan)).toMatch(/alternative name 'mallory@contoso.com'/);
  });

  it("refuses, as a bad request, a signed request whose requested extensions do not parse", async () => {
    // The library reads the extensions only when first asked for one: its parse error must not escape as a crash.
    for (const extension of ["2.5.29.17=DER:0400", "2.5.29.15=DER:0400"]) {
      const pem = opensslCsr(rsa(2048), ["-subj", "/CN=alice@contoso.com", "-addext", extension]);
      expect(await rejection(pem)).toBe("CSR's requested extensions are not readable");
    }
  });

  it("ignores SAN kinds that name no user and other requested extensions", async () => {
    const pem = opensslCsr(rsa(2048), [
      "-subj",
      "/CN=alice@contoso.com",
      "-addext",
      "subjectAltName=DNS:laptop.contoso.com,email:alice@contoso.com",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
    ]);
    expect((await checkDeviceCsr(pem, alice)).modulusBits).toBe(2048);
  });
});
