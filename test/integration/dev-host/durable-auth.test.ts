// The Durable HTTP API's keys, as in Azure: the public webhook (/runtime/webhooks/durabletask) takes the extension's
// system key or the master key, and the status URLs the app hands out carry the system key as `code`; the worker's
// own durable client calls the loopback endpoint of its binding's rpcBaseUrl, which needs none.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import type { LocalDurableBackend } from "../../../dev/durable";
import { createVirtualClock } from "../../../dev/host/clock";
import type { DevHost } from "../../../dev/host/host";
import { fixtureBackend, startFixtureHost } from "../../support/durable/fixture-host";
import { idle } from "../../support/wait";

const API = "/runtime/webhooks/durabletask";
let host: DevHost;

beforeAll(async () => {
  host = await startFixtureHost("AuthHub", createVirtualClock(Date.UTC(2030, 0, 1)));
});

afterAll(() => host.stop());

function backend(): LocalDurableBackend {
  return fixtureBackend(host);
}

type Links = Record<string, string>;

/** Starts Waiter through the app's HTTP starter (whose durable client uses the worker endpoint) and returns its links. */
async function startWaiter(): Promise<{ links: Links; location: string | null }> {
  const started = await fetch(`${host.url}/api/durable/start/Waiter`, { method: "POST", body: '"in"' });
  expect(started.status).toBe(202);
  const links = (await started.json()) as Links;
  await idle(host);
  return { links, location: started.headers.get("location") };
}

function withoutKey(link: string): string {
  const url = new URL(link);
  url.searchParams.delete("code");
  return url.toString();
}

describe("the public durable webhook", () => {
  it("hands out status URLs that carry the system key, as Azure's do", async () => {
    const { links, location } = await startWaiter();
    for (const name of ["statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri"]) {
      const link = links[name] ?? "";
      expect(link.startsWith(`${host.url}${API}/instances/${links.id ?? ""}`)).toBe(true);
      expect(new URL(link).searchParams.get("code")).toBe(host.keys.durableTaskKey);
    }
    expect(location).toBe(links.statusQueryGetUri);
  });

  it("answers those URLs as they are, and refuses them without a key or with the wrong one", async () => {
    const { links } = await startWaiter();
    const status = links.statusQueryGetUri ?? "";
    expect((await fetch(status)).status).toBe(202);
    expect((await fetch(withoutKey(status))).status).toBe(401);
    const functionKey = new URL(status);
    functionKey.searchParams.set("code", host.keys.functionKey);
    expect((await fetch(functionKey)).status).toBe(401);
    expect((await fetch(withoutKey(status), { headers: { "x-functions-key": host.keys.masterKey } })).status).toBe(202);
    expect((await fetch(withoutKey(status), { headers: { "x-functions-key": host.keys.durableTaskKey } })).status).toBe(
      202,
    );

    const event = (links.sendEventPostUri ?? "").replace("{eventName}", "Go");
    const refused = await fetch(withoutKey(event), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '"sneaky"',
    });
    expect(refused.status).toBe(401);
    await idle(host);
    expect(backend().inspect(links.id ?? "")?.runtimeStatus).toBe("Running");

    const raised = await fetch(event, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '"signed"',
    });
    expect(raised.status).toBe(202);
    await idle(host);
    const done = await fetch(status);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ runtimeStatus: "Completed", output: { got: "signed", input: "in" } });
  });

  it("starts nothing for a caller without the key", async () => {
    const before = backend().inspect("unauthorised-1");
    expect(before).toBeUndefined();
    const refused = await fetch(`${host.url}${API}/orchestrators/Waiter/unauthorised-1`, { method: "POST" });
    expect(refused.status).toBe(401);
    await idle(host);
    expect(backend().inspect("unauthorised-1")).toBeUndefined();

    const accepted = await fetch(
      `${host.url}${API}/orchestrators/Waiter/authorised-1?code=${host.keys.durableTaskKey}`,
      {
        method: "POST",
      },
    );
    expect(accepted.status).toBe(202);
    const links = (await accepted.json()) as Links;
    expect(new URL(links.statusQueryGetUri ?? "").searchParams.get("code")).toBe(host.keys.durableTaskKey);
  });
});

describe("the worker's endpoint", () => {
  it("is a loopback listener apart from the public port, needing no key", async () => {
    const binding = backend().clientBindingData();
    const rpc = new URL(String(binding.rpcBaseUrl));
    expect(rpc.hostname).toBe("127.0.0.1");
    expect(rpc.port).not.toBe(String(host.port));
    const { links } = await startWaiter();
    const answered = await fetch(new URL(`instances/${links.id ?? ""}`, rpc));
    expect(answered.status).toBe(202);
    // The public webhook's path is not served there, nor the app's routes.
    expect((await fetch(`${rpc.origin}${API}/instances/${links.id ?? ""}`)).status).toBe(404);
    expect((await fetch(`${rpc.origin}/api/durable/start/Waiter`, { method: "POST" })).status).toBe(404);
  });
});
