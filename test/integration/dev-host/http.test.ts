// The dev host serves HTTP triggers as the Functions host does: routes, constraints, methods, bodies, keys, hooks.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { startHost } from "../../../dev/host/host";
import type { DevHost } from "../../../dev/host/host";
import { hookLog } from "../../fixtures/host-app/http-app";

const lines: string[] = [];
let host: DevHost;

beforeAll(async () => {
  host = await startHost({
    appEntry: () => import("../../fixtures/host-app/http-app"),
    port: 0,
    log: (line) => lines.push(line),
  });
});

afterAll(() => host.stop());

interface Described {
  fn: string;
  params: Record<string, string>;
  q: string | null;
  method: string;
}

async function getJson(path: string): Promise<Described> {
  const response = await fetch(`${host.url}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Described;
}

describe("routing", () => {
  it("passes route parameters and the query to the function", async () => {
    await expect(getJson("/api/hello/World?q=1")).resolves.toEqual({
      fn: "hello",
      params: { name: "World" },
      q: "1",
      method: "GET",
    });
  });

  it("matches literal segments case-insensitively and decodes parameters", async () => {
    const described = await getJson("/API/Hello/J%C3%BCrgen%20B");
    expect(described.params).toEqual({ name: "Jürgen B" });
  });

  it("picks the route whose constraints accept the value, literals first", async () => {
    expect(await getJson("/api/items/42")).toMatchObject({ fn: "itemById", params: { id: "42" } });
    expect(await getJson("/api/items/42/blue-shoe")).toMatchObject({
      fn: "itemById",
      params: { id: "42", slug: "blue-shoe" },
    });
    expect(await getJson("/api/items/shoes")).toMatchObject({ fn: "itemByWord", params: { word: "shoes" } });
    expect(await getJson("/api/items/latest")).toMatchObject({ fn: "latestItem", params: {} });
    expect((await fetch(`${host.url}/api/items/4x2`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/items/99999999999`)).status).toBe(404);
  });

  it("applies the guid constraint and the catch-all parameter", async () => {
    const id = "5f0c7b4e-2f6a-4d7e-9a51-0b8f3c2d1e77";
    expect(await getJson(`/api/things/${id}`)).toMatchObject({ fn: "thing", params: { id } });
    expect((await fetch(`${host.url}/api/things/not-a-guid`)).status).toBe(404);
    expect(await getJson("/api/files/a/b/c.txt")).toMatchObject({ fn: "files", params: { rest: "a/b/c.txt" } });
    expect(await getJson("/api/files")).toMatchObject({ fn: "files", params: {} });
  });

  it("routes by function name when no route is given, with the default GET and POST", async () => {
    expect(await getJson("/api/defaultRoute")).toMatchObject({ fn: "defaultRoute" });
    const posted = await fetch(`${host.url}/api/defaultRoute`, { method: "POST", body: "x" });
    expect(posted.status).toBe(200);
    expect((await fetch(`${host.url}/api/defaultRoute`, { method: "DELETE" })).status).toBe(404);
  });

  it("answers 404 for unknown paths and, as the Functions host does, for a method the route does not take", async () => {
    expect((await fetch(`${host.url}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${host.url}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/hello/x`, { method: "POST", body: "{}" })).status).toBe(404);
  });
});

describe("requests and responses", () => {
  it("carries the body and headers in, and the status, headers and cookies out", async () => {
    const response = await fetch(`${host.url}/api/echo`, {
      method: "PUT",
      headers: { "x-test": "seen", "content-type": "text/plain" },
      body: "hello body",
    });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("hello body");
    expect(response.headers.get("x-echo-method")).toBe("PUT");
    expect(response.headers.get("x-seen-header")).toBe("seen");
    expect(response.headers.getSetCookie()).toEqual(["session=abc; Path=/; HttpOnly; SameSite=Strict"]);
  });

  it("keeps binary bodies byte for byte", async () => {
    const bytes = Uint8Array.from([0, 255, 1, 128, 7]);
    const response = await fetch(`${host.url}/api/bytes/reverse`, { method: "POST", body: bytes });
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([7, 128, 1, 255, 0]);
  });

  it("answers 500 without a body when the function throws, and logs the first line of the error", async () => {
    const response = await fetch(`${host.url}/api/fails`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("");
    const line = lines.find((candidate) => candidate.startsWith("Executed 'Functions.fails'"));
    expect(line).toMatch(/^Executed 'Functions\.fails' \(Failed, Id=[0-9a-f-]{36}, Duration=\d+ms\): kaboom$/);
  });

  it("logs one line per successful invocation and the function's own logs", async () => {
    await getJson("/api/hello/logged");
    expect(lines).toContainEqual(expect.stringMatching(/^Executed 'Functions\.hello' \(Succeeded, Id=[0-9a-f-]{36}/));
    expect(lines).toContain("[hello] handling hello");
  });
});

describe("keys", () => {
  it("refuses a function-level route without a valid key", async () => {
    expect((await fetch(`${host.url}/api/secure/function`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/secure/function?code=wrong`)).status).toBe(401);
    const wrongHeader = await fetch(`${host.url}/api/secure/function`, { headers: { "x-functions-key": "nope" } });
    expect(wrongHeader.status).toBe(401);
  });

  it("accepts the function key or the master key, by header or by ?code=", async () => {
    const { functionKey, masterKey } = host.keys;
    const byHeader = await fetch(`${host.url}/api/secure/function`, { headers: { "x-functions-key": functionKey } });
    expect(byHeader.status).toBe(200);
    const byCode = await fetch(`${host.url}/api/secure/function?code=${encodeURIComponent(functionKey)}`);
    expect(byCode.status).toBe(200);
    const byMaster = await fetch(`${host.url}/api/secure/function`, { headers: { "x-functions-key": masterKey } });
    expect(byMaster.status).toBe(200);
  });

  it("opens admin-level routes to the master key only", async () => {
    const { functionKey, masterKey, eventGridKey } = host.keys;
    for (const key of [functionKey, eventGridKey]) {
      const refused = await fetch(`${host.url}/api/secure/admin`, { headers: { "x-functions-key": key } });
      expect(refused.status).toBe(401);
    }
    const byCode = await fetch(`${host.url}/api/secure/admin?code=${encodeURIComponent(masterKey)}`);
    expect(byCode.status).toBe(200);
    const byHeader = await fetch(`${host.url}/api/secure/admin`, { headers: { "x-functions-key": masterKey } });
    expect(byHeader.status).toBe(200);
  });

  it("generates distinct keys per host start and takes given ones", async () => {
    const { functionKey, masterKey, eventGridKey } = host.keys;
    expect(new Set([functionKey, masterKey, eventGridKey]).size).toBe(3);
    const second = await startHost({
      appEntry: () => import("../../fixtures/host-app/http-app"),
      port: 0,
      keys: { functionKey: "given-function-key" },
      log: () => undefined,
    });
    try {
      expect(second.keys.functionKey).toBe("given-function-key");
      expect(second.keys.masterKey).not.toBe(masterKey);
      const response = await fetch(`${second.url}/api/secure/function?code=given-function-key`);
      expect(response.status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});

describe("hooks", () => {
  it("runs appStart at load, pre/postInvocation around each invocation and appTerminate on stop", async () => {
    expect(hookLog[0]).toBe("appStart");
    hookLog.length = 0;
    await getJson("/api/hello/hooked");
    expect(hookLog).toEqual(["pre:hello", "post:hello"]);
    await host.stop();
    expect(hookLog).toEqual(["pre:hello", "post:hello", "appTerminate"]);
  });
});
