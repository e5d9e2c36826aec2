// Acceptance: a user's PKCS#12, built from the Key Vault secret of an issued certificate, opens with openssl and its
// passphrase (AES-256 by default, TripleDES on request, both without -legacy) and holds the key, the leaf and the
// root; certificates the app did not issue to a user, or that are disabled or pending, are refused, and so is a
// secret whose certificate, key or chain is not the listed certificate's, its key and the current root; the private
// key buffer is wiped once the PFX is built.
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as certificateSecret from "../../../src/domain/certificate-secret";
import type { CertificateWithKey } from "../../../src/domain/certificate-secret";
import * as managedRoots from "../../../src/clients/managed-roots";
import { RootRegistry } from "../../../src/clients/root-registry";
import { beginClientCertificate } from "../../../src/clients/key-vault-ca";
import type { RootCa } from "../../../src/clients/key-vault-ca";
import { exportUserPkcs12, UserPkcs12Error } from "../../../src/clients/user-pkcs12";
import type { Pkcs12Encryption } from "../../../src/domain/pkcs12";
import { generatePassphrase } from "../../../src/domain/passphrase";
import { derToPem, pemBlocks, pemToDer, toGatewayCertData } from "../../../src/domain/pem";
import { thumbprintOf } from "../../../src/domain/thumbprint";
import { assertUpn, keyVaultCertificateName, upnKey } from "../../../src/domain/upn";
import { TempDir, issueForTest, rootOf, startCaFixture } from "./ca-support";
import type { CaFixture, IssuedForTest } from "./ca-support";

const UPN = "alan.turing@contoso.com";

let fixture: CaFixture;
let dir: TempDir;
let root: RootCa;
let issued: IssuedForTest;

beforeAll(async () => {
  [fixture, dir] = await Promise.all([startCaFixture(), TempDir.create()]);
  root = await rootOf(fixture);
  issued = await issueForTest(fixture, root, UPN, "INC0200");
});

afterAll(async () => {
  jest.restoreAllMocks();
  await Promise.all([fixture.stop(), dir.remove()]);
});

const POLL = { intervalInMs: 10 };
const NOT_LISTED = "00".repeat(20);

function exportOf(
  name: string,
  passphrase: string,
  encryption: Pkcs12Encryption = "aes256",
  thumbprint = issued.view.thumbprint,
): Promise<Uint8Array> {
  return exportUserPkcs12(fixture.kv, RootRegistry.fromConfig(fixture.config), name, passphrase, encryption, {
    thumbprint,
  });
}

/** The parts of a certificate's secret as the app reads them. */
async function secretOf(name: string): Promise<CertificateWithKey> {
  const secret = await fixture.kv.secrets.getSecret(name);
  return certificateSecret.readCertificateSecret(secret.value ?? "", secret.properties.contentType);
}

/** Runs `body` while reading the secret answers a copy of `parts` (the export wipes the key it is given). */
async function withSecret<T>(parts: CertificateWithKey, body: () => Promise<T>): Promise<T> {
  const copy = { ...parts, privateKey: new Uint8Array(parts.privateKey) };
  const spy = jest.spyOn(certificateSecret, "readCertificateSecret").mockResolvedValue(copy);
  try {
    return await body();
  } finally {
    spy.mockRestore();
  }
}

describe.each([
  ["aes256", /PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256/, "MAC: sha256"],
  ["legacy3des", /pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048/, "MAC: sha1"],
] as const)("exportUserPkcs12 (%s)", (encryption, cipher, mac) => {
  let passphrase: string;
  let file: string;

  beforeAll(async () => {
    passphrase = generatePassphrase();
    const pfx = await exportOf(issued.certificateName, passphrase, encryption);
    file = await dir.write(`${encryption}.pfx`, pfx);
  });

  it("opens with openssl pkcs12 and the passphrase, encrypted as asked, with the key, the leaf and the root", async () => {
    const opened = await dir.openssl(["pkcs12", "-in", file, "-info", "-nodes", "-passin", `pass:${passphrase}`]);
    expect(opened.code).toBe(0);
    expect(opened.stderr).toMatch(cipher);
    expect(opened.stderr).toContain(mac);
    const blocks = pemBlocks(opened.stdout);
    const keys = blocks.filter((b) => b.label === "PRIVATE KEY");
    const certificates = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => derToPem(b.der));
    expect(keys).toHaveLength(1);
    expect(certificates).toHaveLength(2);
    expect(certificates).toContain(issued.view.certificatePem);
    expect(certificates).toContain(derToPem(Buffer.from(root.publicCertData, "base64")));
    // The key is the leaf's.
    const key = createPrivateKey({ key: Buffer.from(keys[0]?.der ?? []), format: "der", type: "pkcs8" });
    const leafKey = new X509Certificate(issued.view.certificatePem).publicKey;
    expect(createPublicKey(key).export({ type: "spki", format: "der" })).toEqual(
      leafKey.export({ type: "spki", format: "der" }),
    );
    // The friendly name Windows and macOS show is the user's.
    expect(opened.stdout).toContain(`friendlyName: ${UPN}`);
  });

  it("does not open with another passphrase", async () => {
    const opened = await dir.openssl(["pkcs12", "-in", file, "-nodes", "-passin", `pass:${passphrase}x`]);
    expect(opened.code).not.toBe(0);
    expect(opened.stderr).toMatch(/mac verify/i);
    expect(opened.stdout).not.toContain("PRIVATE KEY");
  });
});

describe("exportUserPkcs12 refuses", () => {
  it("a certificate the app did not issue", async () => {
    const poller = await fixture.kv.certificates.beginCreateCertificate(
      "someone-elses",
      { issuerName: "Self", subject: "CN=someone@contoso.com", exportable: true, keySize: 2048 },
      POLL,
    );
    await poller.pollUntilDone();
    await expect(exportOf("someone-elses", generatePassphrase())).rejects.toThrow(
      new UserPkcs12Error("certificate someone-elses is not a user certificate issued by p2s-lifecycle"),
    );
  });

  it("the root CA", async () => {
    await expect(exportOf(root.name, generatePassphrase())).rejects.toThrow(/is not a user certificate/);
  });

  it("a disabled certificate", async () => {
    const other = await issueForTest(fixture, root, UPN, "INC0201");
    await fixture.kv.certificates.updateCertificateProperties(other.certificateName, "", { enabled: false });
    await expect(
      exportOf(other.certificateName, generatePassphrase(), "aes256", other.view.thumbprint),
    ).rejects.toThrow(`certificate ${other.certificateName} is disabled`);
  });

  it("a certificate still pending (created, not merged)", async () => {
    const upn = assertUpn(UPN);
    const name = keyVaultCertificateName(upn, "INC0202");
    const begun = await beginClientCertificate(fixture.kv, fixture.config, name, upn, {
      upn: upnKey(upn),
      requestId: "INC0202",
      rootThumbprint: root.thumbprint,
    });
    expect(begun.state).toBe("pending");
    await expect(exportOf(name, generatePassphrase(), "aes256", NOT_LISTED)).rejects.toThrow(
      /is disabled|is not issued yet/,
    );
  });

  it("a certificate the ledger does not list under that thumbprint", async () => {
    await expect(exportOf(issued.certificateName, generatePassphrase(), "aes256", NOT_LISTED)).rejects.toThrow(
      `certificate ${issued.certificateName} in Key Vault is not the certificate ${NOT_LISTED}`,
    );
  });

  describe("a secret that is not the listed certificate's", () => {
    let mine: CertificateWithKey;
    let others: CertificateWithKey;
    let otherRootDer: Uint8Array;

    beforeAll(async () => {
      const other = await issueForTest(fixture, root, UPN, "INC0203");
      [mine, others] = await Promise.all([secretOf(issued.certificateName), secretOf(other.certificateName)]);
      const made = await dir.openssl([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "other-root.key",
        "-out",
        "other-root.pem",
        "-subj",
        "/CN=Another P2S Root",
        "-days",
        "2",
      ]);
      expect(made.code).toBe(0);
      otherRootDer = pemToDer(await readFile(`${dir.path}/other-root.pem`, "utf8"));
    });

    it("another certificate with its own key", async () => {
      await expect(withSecret(others, () => exportOf(issued.certificateName, generatePassphrase()))).rejects.toThrow(
        new UserPkcs12Error(
          `the secret of certificate ${issued.certificateName} holds ${thumbprintOf(others.certificate)}, not ${issued.view.thumbprint}`,
        ),
      );
    });

    it("the listed certificate with another key", async () => {
      const parts = { ...mine, privateKey: others.privateKey };
      await expect(withSecret(parts, () => exportOf(issued.certificateName, generatePassphrase()))).rejects.toThrow(
        new UserPkcs12Error(`the private key stored for certificate ${issued.certificateName} is not its key`),
      );
    });

    it.each(["aes256", "legacy3des"] as const)(
      "a chain that is not the current root alone (%s)",
      async (encryption) => {
        for (const chain of [[otherRootDer], [mine.chain[0] ?? new Uint8Array(), otherRootDer], []]) {
          const parts = { ...mine, chain };
          await expect(
            withSecret(parts, () => exportOf(issued.certificateName, generatePassphrase(), encryption)),
          ).rejects.toThrow(chain.length === 0 ? /stored without its issuer chain/ : /is not one trusted root alone/);
        }
      },
    );

    it("a leaf the current root did not sign (the root was replaced)", async () => {
      const replaced: RootCa = {
        ...root,
        thumbprint: thumbprintOf(otherRootDer),
        publicCertData: toGatewayCertData(otherRootDer),
      };
      const parts = { ...mine, chain: [otherRootDer] };
      const spy = jest.spyOn(managedRoots, "trustedRoots").mockResolvedValue({ trusted: [replaced], retiredNames: [] });
      try {
        await expect(withSecret(parts, () => exportOf(issued.certificateName, generatePassphrase()))).rejects.toThrow(
          new UserPkcs12Error(
            `certificate ${issued.certificateName} was not signed by its root ${replaced.thumbprint}`,
          ),
        );
      } finally {
        spy.mockRestore();
      }
    });
  });

  it("a certificate that is absent", async () => {
    await expect(exportOf("p2s-user-absent", generatePassphrase())).rejects.toThrow(
      "certificate p2s-user-absent does not exist",
    );
  });
});

it("wipes the private key it read once the PFX is built", async () => {
  const seen: CertificateWithKey[] = [];
  const actual = certificateSecret.readCertificateSecret;
  const spy = jest.spyOn(certificateSecret, "readCertificateSecret").mockImplementation(async (...args) => {
    const parts = await actual(...args);
    seen.push(parts);
    return parts;
  });
  try {
    await exportOf(issued.certificateName, generatePassphrase());
  } finally {
    spy.mockRestore();
  }
  expect(seen).toHaveLength(1);
  const key = seen[0]?.privateKey ?? new Uint8Array([1]);
  expect(key.length).toBeGreaterThan(1000);
  expect(key.every((byte) => byte === 0)).toBe(true);
});

it("generatePassphrase gives 24 base64url characters from the CSPRNG, never twice the same", () => {
  const all = Array.from({ length: 200 }, () => generatePassphrase());
  for (const passphrase of all) expect(passphrase).toMatch(/^[A-Za-z0-9_-]{24}$/);
  expect(new Set(all).size).toBe(all.length);
});
