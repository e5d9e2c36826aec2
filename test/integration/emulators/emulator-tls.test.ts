// The emulator CA: a real chain that clients trust only through client options, and a loopback server certificate
// that passes outside verification (openssl) and hostname checks for 127.0.0.1, ::1 and localhost.
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect, promisify } from "node:util";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { startWidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import type { WidgetsEmulator } from "../../../dev/emulators/testing/widgets-emulator";
import { httpsRequest, RecordingCredential, sdkClient } from "../../support/emulator-clients";

const run = promisify(execFile);

describe("emulator CA and TLS", () => {
  let ca: EmulatorCa;
  let otherCa: EmulatorCa;
  let emulator: WidgetsEmulator;
  let dir: string;

  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([
      createEmulatorCa({ dnsNames: ["contoso.vault.azure.net"] }),
      createEmulatorCa(),
    ]);
    emulator = await startWidgetsEmulator({ ca, auth: { mode: "required" } });
    dir = await mkdtemp(join(tmpdir(), "emulator-ca-"));
  });

  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("signs a loopback server certificate that openssl verifies for TLS servers", async () => {
    const caFile = join(dir, "ca.pem");
    const serverFile = join(dir, "server.pem");
    await ca.writeCertPem(caFile);
    await writeFile(serverFile, ca.serverCertPem);
    const { stdout } = await run("openssl", ["verify", "-CAfile", caFile, "-purpose", "sslserver", serverFile]);
    expect(stdout).toContain("OK");
    await expect(run("openssl", ["verify", "-CAfile", caFile, "-purpose", "sslclient", serverFile])).rejects.toThrow();
  });

  it("names 127.0.0.1, ::1, localhost and the extra DNS names, and marks only the CA as a CA", () => {
    const caCert = new X509Certificate(ca.certPem);
    const server = new X509Certificate(ca.serverCertPem);
    expect(caCert.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(caCert)).toBe(true);
    expect(server.verify(caCert.publicKey)).toBe(true);
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.checkIP("::1")).toBe("::1");
    expect(server.checkHost("localhost")).toBe("localhost");
    expect(server.checkHost("contoso.vault.azure.net")).toBe("contoso.vault.azure.net");
    expect(server.checkHost("example.com")).toBeUndefined();
    expect(server.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(server.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(server.checkIssued(new X509Certificate(otherCa.certPem))).toBe(false);
  });

  it("writes only the public CA certificate and never shows the server key", async () => {
    const caFile = join(dir, "written-ca.pem");
    await ca.writeCertPem(caFile);
    expect(await readFile(caFile, "utf8")).toBe(ca.certPem);
    expect(ca.certPem).not.toContain("PRIVATE KEY");
    expect(JSON.stringify(ca)).not.toContain("PRIVATE KEY");
    expect(inspect(ca, { depth: 5 })).not.toContain("PRIVATE KEY");
    expect(ca.serverTlsOptions().key).toContain("PRIVATE KEY");
  });

  it("is trusted by node https and by the Azure SDK pipeline when given the CA", async () => {
    const raw = await httpsRequest(`${emulator.url}/widgets?api-version=1`, { ca: ca.certPem, token: "t" });
    expect(raw.status).toBe(200);
    const send = sdkClient({ ca: ca.certPem, credential: new RecordingCredential(), auth: "bearer" });
    expect((await send("GET", `${emulator.url}/widgets?api-version=1`)).status).toBe(200);
  });

  it("is refused by clients that do not trust the CA", async () => {
    emulator.stats.reset();
    await expect(httpsRequest(`${emulator.url}/widgets?api-version=1`, { token: "t" })).rejects.toMatchObject({
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    await expect(
      httpsRequest(`${emulator.url}/widgets?api-version=1`, { ca: otherCa.certPem, token: "t" }),
    ).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    const untrusting = sdkClient({ credential: new RecordingCredential(), auth: "bearer", maxRetries: 0 });
    await expect(untrusting("GET", `${emulator.url}/widgets?api-version=1`)).rejects.toThrow(
      /unable to verify the first certificate/,
    );
    expect(emulator.stats.operation("widgets.list").count).toBe(0);
  });

  it("lets several emulators share one CA, and stop() closes the port", async () => {
    const second = await startWidgetsEmulator({ ca, auth: { mode: "required" } });
    expect(second.port).not.toBe(emulator.port);
    const send = sdkClient({ ca: ca.certPem, credential: new RecordingCredential(), auth: "bearer" });
    expect((await send("GET", `${second.url}/widgets?api-version=1`)).status).toBe(200);
    await second.stop();
    await second.stop();
    await expect(httpsRequest(`${second.url}/widgets?api-version=1`, { ca: ca.certPem })).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  });
});
