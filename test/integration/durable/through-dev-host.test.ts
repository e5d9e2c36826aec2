// The backend mounted in the real dev host: the app loads through the host's @azure/functions-core stand-in, every
// orchestrator, activity and entity runs through the worker's invocation path, and an HTTP trigger starts the flow.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import * as df from "durable-functions";
import type { LocalDurableBackend } from "../../../dev/durable";
import { createVirtualClock } from "../../../dev/host/clock";
import type { DevHost } from "../../../dev/host/host";
import { fixtureBackend, startFixtureHost } from "../../support/durable/fixture-host";
import { HOUR_MS } from "../../fixtures/durable-app";
import { durableClientFor } from "../../support/durable/harness";
import { idle } from "../../support/wait";

const clock = createVirtualClock(Date.UTC(2030, 0, 1));
let host: DevHost;

beforeAll(async () => {
  host = await startFixtureHost("HostHub", clock);
});

afterAll(() => host.stop());

function backend(): LocalDurableBackend {
  return fixtureBackend(host);
}

describe("local durable backend inside the dev host", () => {
  it("runs MainFlow started by an HTTP trigger to completion, polled through its status link", async () => {
    const started = await fetch(`${host.url}/api/durable/start/MainFlow`, {
      method: "POST",
      body: JSON.stringify({ name: "Lin", items: [5] }),
    });
    expect(started.status).toBe(202);
    const links = (await started.json()) as { id: string; statusQueryGetUri: string; sendEventPostUri: string };
    expect(links.statusQueryGetUri).toBe(
      `${host.url}/runtime/webhooks/durabletask/instances/${links.id}?taskHub=HostHub&connection=Storage&code=${host.keys.durableTaskKey}`,
    );
    expect(started.headers.get("location")).toBe(links.statusQueryGetUri);

    await idle(host);
    await clock.advance(HOUR_MS);
    await idle(host);
    const raised = await fetch(links.sendEventPostUri.replace("{eventName}", "Approval"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("yes"),
    });
    expect(raised.status).toBe(202);
    await idle(host);
    await clock.advance(1000);
    await idle(host);
    await clock.advance(2000);
    await idle(host);

    const polled = await fetch(links.statusQueryGetUri);
    expect(polled.status).toBe(200);
    expect(await polled.json()).toMatchObject({
      runtimeStatus: "Completed",
      output: {
        greeting: "HELLO, LIN!",
        doubled: [10],
        approval: "yes",
        child: { sum: 10, parent: links.id },
        flaky: "ok after 3 attempts",
        farewell: "Hello, again",
        generation: 2,
      },
    });
  });

  it("runs entities through the host", async () => {
    const client = durableClientFor(backend());
    const id = await client.startNew("CounterFlow", { input: "host" });
    await idle(host);
    expect((await client.getStatus(id)).output).toBe(7);
    expect((await client.readEntityState<number[]>(new df.EntityId("Audit", "host"))).entityState).toEqual([5, 2]);
  });
});
