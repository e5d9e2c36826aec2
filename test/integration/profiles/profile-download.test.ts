// The package download against a local HTTPS server (the emulators' CA): https only, allowed hosts only, redirects
// only to the same host, size limits (declared and streamed), a time limit.
import { createServer } from "node:https";
import type { ServerResponse } from "node:http";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { DownloadRefused, downloadProfilePackage, hostAllowed } from "../../../src/clients/profile-download";

let ca: EmulatorCa;
let server: Server;
let base: string;
const routes = new Map<string, (res: ServerResponse) => void>();

beforeAll(async () => {
  ca = await createEmulatorCa();
  server = createServer(ca.serverTlsOptions(), (req, res) => {
    const handler = routes.get(req.url ?? "");
    if (handler === undefined) {
      res.writeHead(404).end();
      return;
    }
    handler(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const limits = (over: Partial<Parameters<typeof downloadProfilePackage>[1]> = {}) => ({
  allowedHosts: ["127.0.0.1"],
  maxBytes: 1024,
  timeoutMs: 5_000,
  ca: ca.certPem,
  ...over,
});

async function refusal(url: string, options = limits()): Promise<string> {
  const error = await downloadProfilePackage(url, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DownloadRefused);
  return (error as Error).message;
}

describe("downloadProfilePackage", () => {
  it("downloads from an allowed host, following a redirect on the same host", async () => {
    routes.set("/pkg.zip", (res) => res.writeHead(200, { "content-type": "application/zip" }).end("PK-bytes"));
    routes.set("/moved", (res) => res.writeHead(302, { location: "/pkg.zip" }).end());
    expect((await downloadProfilePackage(`${base}/moved`, limits())).toString()).toBe("PK-bytes");
  });

  it("refuses http, other hosts and credentials in the URL", async () => {
    expect(await refusal(base.replace("https:", "http:") + "/pkg.zip")).toMatch(/not https/);
    expect(await refusal(`${base.replace("127.0.0.1", "localhost")}/pkg.zip`)).toMatch(/not in PROFILE_DOWNLOAD_HOSTS/);
    expect(await refusal(`${base.replace("https://", "https://user:pw@")}/pkg.zip`)).toMatch(/credentials/);
  });

  it("refuses a redirect to another host, and one to plain http", async () => {
    const port = (server.address() as AddressInfo).port;
    routes.set("/away", (res) => res.writeHead(302, { location: `https://localhost:${String(port)}/pkg.zip` }).end());
    routes.set("/plain", (res) => res.writeHead(301, { location: `http://127.0.0.1:${String(port)}/pkg.zip` }).end());
    const wide = limits({ allowedHosts: ["127.0.0.1", "localhost"] });
    expect(await refusal(`${base}/away`, wide)).toMatch(/redirected to another host/);
    expect(await refusal(`${base}/plain`, wide)).toMatch(/redirected to another host/);
  });

  it("refuses a package larger than the limit, declared or streamed", async () => {
    routes.set("/big", (res) => res.writeHead(200, { "content-length": "4096" }).end(Buffer.alloc(4096)));
    routes.set("/chunked", (res) => {
      res.writeHead(200);
      for (let i = 0; i < 8; i++) res.write(Buffer.alloc(512));
      res.end();
    });
    expect(await refusal(`${base}/big`)).toMatch(/larger than 1024 bytes/);
    expect(await refusal(`${base}/chunked`)).toMatch(/larger than 1024 bytes/);
  });

  it("gives up after the time limit", async () => {
    routes.set("/slow", (res) => {
      res.writeHead(200);
      res.write("P");
    });
    expect(await refusal(`${base}/slow`, limits({ timeoutMs: 300 }))).toMatch(/timed out|took longer/);
  });

  it("refuses an error answer", async () => {
    routes.set("/expired", (res) => res.writeHead(403).end("AuthenticationFailed"));
    expect(await refusal(`${base}/expired`)).toBe("the download answered 403");
  });

  it("matches hosts exactly or under a *. pattern", () => {
    expect(hostAllowed("abc.blob.core.windows.net", ["*.blob.core.windows.net"])).toBe(true);
    expect(hostAllowed("blob.core.windows.net", ["*.blob.core.windows.net"])).toBe(false);
    expect(hostAllowed("evil-blob.core.windows.net", ["*.blob.core.windows.net"])).toBe(false);
    expect(hostAllowed("abc.blob.core.windows.net.evil.com", ["*.blob.core.windows.net"])).toBe(false);
    expect(hostAllowed("127.0.0.1", ["127.0.0.1"])).toBe(true);
  });
});
