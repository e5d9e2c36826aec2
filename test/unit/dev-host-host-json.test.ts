// host.json as the dev host reads it: the route prefix comes from the app's own host.json, so the two cannot drift.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { findAppRoot, hostJsonSettings, readHostJson } from "../../dev/host/host-json";

const REPO_ROOT = path.resolve(__dirname, "../..");
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "p2s-host-json-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("hostJsonSettings", () => {
  it("reads extensions.http.routePrefix, without surrounding slashes", () => {
    expect(hostJsonSettings({ extensions: { http: { routePrefix: "v2" } } }, {}).routePrefix).toBe("v2");
    expect(hostJsonSettings({ extensions: { http: { routePrefix: "/base/v2/" } } }, {}).routePrefix).toBe("base/v2");
    expect(hostJsonSettings({ extensions: { http: { routePrefix: "" } } }, {}).routePrefix).toBe("");
  });

  it("defaults to api, as the Functions host does", () => {
    expect(hostJsonSettings({}, {}).routePrefix).toBe("api");
    expect(hostJsonSettings({ version: "2.0", extensions: { durableTask: {} } }, {}).routePrefix).toBe("api");
  });

  it("matches property names case-insensitively, as the host's configuration does", () => {
    expect(hostJsonSettings({ Extensions: { HTTP: { RoutePrefix: "x" } } }, {}).routePrefix).toBe("x");
  });

  it("lets the AzureFunctionsJobHost__ app setting override host.json", () => {
    const settings = { AzureFunctionsJobHost__extensions__http__routePrefix: "over" };
    expect(hostJsonSettings({ extensions: { http: { routePrefix: "v2" } } }, settings).routePrefix).toBe("over");
  });

  it("refuses a routePrefix that is not a string", () => {
    expect(() => hostJsonSettings({ extensions: { http: { routePrefix: 2 } } }, {})).toThrow(/must be a string/);
  });
});

describe("readHostJson and findAppRoot", () => {
  it("reads this project's host.json: the prefix the README documents", () => {
    expect(findAppRoot(path.join(REPO_ROOT, "dist/src"))).toBe(REPO_ROOT);
    expect(readHostJson(REPO_ROOT, {}).routePrefix).toBe("api");
  });

  it("finds the nearest host.json at or above the entry's directory", () => {
    writeFileSync(path.join(dir, "host.json"), JSON.stringify({ extensions: { http: { routePrefix: "v3" } } }));
    const entryDir = path.join(dir, "dist", "src");
    mkdirSync(entryDir, { recursive: true });
    expect(findAppRoot(entryDir)).toBe(dir);
    expect(readHostJson(findAppRoot(entryDir), {}).routePrefix).toBe("v3");
  });

  it("uses the defaults without a host.json, and fails on one that is not JSON", () => {
    expect(readHostJson(dir, {}).routePrefix).toBe("api");
    expect(readHostJson(undefined, {}).routePrefix).toBe("api");
    writeFileSync(path.join(dir, "host.json"), "{ not json");
    expect(() => readHostJson(dir, {})).toThrow(/host\.json is not valid JSON/);
  });
});
