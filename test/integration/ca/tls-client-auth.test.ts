// Acceptance: a TLS handshake with client-certificate authentication against openssl s_server -Verify 1 -CAfile
// root.pem succeeds with an issued certificate (from the user's PKCS#12, both encryptions) and fails with a
// self-signed one, or with none.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RootCa } from "../../../src/clients/key-vault-ca";
import { RootRegistry } from "../../../src/clients/root-registry";
import { exportUserPkcs12 } from "../../../src/clients/user-pkcs12";
import { generatePassphrase } from "../../../src/domain/passphrase";
import { derToPem } from "../../../src/domain/pem";
import { TempDir, issueForTest, rootOf, startCaFixture } from "./ca-support";
import type { CaFixture, IssuedForTest } from "./ca-support";
import { handshake, startClientAuthServer } from "./tls-handshake";
import type { ClientAuthServer } from "./tls-handshake";

const UPN = "hedy.lamarr@contoso.com";

let fixture: CaFixture;
let dir: TempDir;
let root: RootCa;
let issued: IssuedForTest;
let server: ClientAuthServer;
let serverCertificate: string;

beforeAll(async () => {
  [fixture, dir] = await Promise.all([startCaFixture(), TempDir.create()]);
  root = await rootOf(fixture);
  issued = await issueForTest(fixture, root, UPN, "INC0300");
  const rootFile = await dir.write("root.pem", derToPem(Buffer.from(root.publicCertData, "base64")));
  server = await startClientAuthServer(dir, rootFile);
  serverCertificate = await readFile(join(dir.path, "server.pem"), "utf8");
});

afterAll(async () => {
  await server.stop();
  await Promise.all([fixture.stop(), dir.remove()]);
});

describe("TLS client authentication against openssl s_server -Verify 1 -CAfile root.pem", () => {
  it.each(["aes256", "legacy3des"] as const)(
    "succeeds with the issued certificate from its %s PKCS#12",
    async (mode) => {
      const passphrase = generatePassphrase();
      const pfx = Buffer.from(
        await exportUserPkcs12(
          fixture.kv,
          RootRegistry.fromConfig(fixture.config),
          issued.certificateName,
          passphrase,
          mode,
          {
            thumbprint: issued.view.thumbprint,
          },
        ),
      );
      const from = server.output().length;
      const outcome = await handshake(server.port, serverCertificate, { pfx, passphrase });
      expect(outcome).toMatchObject({ ok: true });
      // s_server's verify callback walked the chain: the root, then the user's certificate.
      const printed = await server.waitForOutput(/depth=0 CN = hedy\.lamarr@contoso\.com\nverify return:1/, from);
      expect(printed).not.toMatch(/verify error/);
    },
  );

  it("fails with a self-signed certificate for the same user", async () => {
    const made = await dir.openssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "self.key",
      "-out",
      "self.pem",
      "-days",
      "1",
      "-subj",
      `/CN=${UPN}`,
      "-addext",
      "extendedKeyUsage=clientAuth",
    ]);
    expect(made.code).toBe(0);
    const [key, cert] = await Promise.all([
      readFile(join(dir.path, "self.key"), "utf8"),
      readFile(join(dir.path, "self.pem"), "utf8"),
    ]);
    const from = server.output().length;
    const outcome = await handshake(server.port, serverCertificate, { key, cert });
    expect(outcome.ok).toBe(false);
    // Refused by s_server's chain check, not by anything else.
    await server.waitForOutput(/verify error:num=18:self-signed certificate/, from);
    expect(outcome).toMatchObject({ error: expect.stringMatching(/alert/i) as unknown });
  });

  it("fails without a client certificate", async () => {
    const outcome = await handshake(server.port, serverCertificate, {});
    expect(outcome.ok).toBe(false);
  });
});
