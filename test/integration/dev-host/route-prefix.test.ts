// The route prefix comes from the app's host.json (extensions.http.routePrefix), as on the Functions host, so the
// dev host and a deployed app serve the same URLs.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startHost } from "../../../dev/host/host";
import type { DevHost } from "../../../dev/host/host";

const loadApp = (): Promise<unknown> => import("../../fixtures/host-app/http-app");
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "p2s-route-prefix-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function withHost(hostJson: unknown, check: (host: DevHost, lines: string[]) => Promise<void>): Promise<void> {
  writeFileSync(path.join(dir, "host.json"), JSON.stringify(hostJson));
  const lines: string[] = [];
  const host = await startHost({ appEntry: loadApp, appRoot: dir, port: 0, log: (line) => lines.push(line) });
  try {
    await check(host, lines);
  } finally {
    await host.stop();
  }
}

it("serves HTTP triggers under the host.json route prefix, and not under /api", async () => {
  await withHost({ version: "2.0", extensions: { http: { routePrefix: "v2" } } }, async (host, lines) => {
    const response = await fetch(`${host.url}/v2/hello/Ada`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ fn: "hello", params: { name: "Ada" } });
    expect((await fetch(`${host.url}/api/hello/Ada`)).status).toBe(404);
    expect(lines.join("\n")).toContain(`hello: [GET] ${host.url}/v2/hello/{name}`);
  });
});

it("serves them at the root with an empty prefix", async () => {
  await withHost({ version: "2.0", extensions: { http: { routePrefix: "" } } }, async (host) => {
    expect((await fetch(`${host.url}/hello/Ada`)).status).toBe(200);
    expect((await fetch(`${host.url}/api/hello/Ada`)).status).toBe(404);
  });
});

it("uses api when host.json sets no prefix", async () => {
  await withHost({ version: "2.0" }, async (host) => {
    expect((await fetch(`${host.url}/api/hello/Ada`)).status).toBe(200);
  });
});

it("uses this project's host.json by default (the app root above the entry)", async () => {
  const host = await startHost({ appEntry: loadApp, port: 0, log: () => undefined });
  try {
    expect((await fetch(`${host.url}/api/hello/Ada`)).status).toBe(200);
  } finally {
    await host.stop();
  }
});
