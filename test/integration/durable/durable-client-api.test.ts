jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { HttpRequest } from "@azure/functions";
import { OrchestrationRuntimeStatus } from "durable-functions";
import { resetFixtureState } from "../../fixtures/durable-app";
import { HARNESS_START_MS, startDurableHarness } from "../../support/durable/harness";
import type { DurableHarness } from "../../support/durable/harness";
import { idle } from "../../support/wait";

let harness: DurableHarness;
const API = "/runtime/webhooks/durabletask";

beforeEach(async () => {
  resetFixtureState();
  harness = await startDurableHarness();
});

afterEach(async () => {
  await harness.close();
});

async function startWaiter(instanceId: string, input: unknown = { n: instanceId }): Promise<string> {
  const id = await harness.client.startNew("Waiter", { instanceId, input });
  await idle(harness.backend, "the durable backend");
  return id;
}

describe("Durable HTTP API through durable-functions' DurableClient", () => {
  it("starts, reports, raises an event and completes an instance", async () => {
    const { client, backend } = harness;
    const id = await startWaiter("order-1", { order: 1 });
    expect(id).toBe("order-1");
    const running = await client.getStatus(id);
    expect(running).toMatchObject({
      name: "Waiter",
      instanceId: "order-1",
      runtimeStatus: "Running",
      input: { order: 1 },
      customStatus: "waiting",
      output: null,
    });
    expect(running.createdTime.getTime()).toBe(HARNESS_START_MS);

    await client.raiseEvent(id, "Go", { ok: true });
    await idle(backend, "the durable backend");
    const done = await client.getStatus(id);
    expect(done.runtimeStatus).toBe(OrchestrationRuntimeStatus.Completed);
    expect(done.output).toEqual({ got: { ok: true }, input: { order: 1 } });

    // Raising an event on a finished instance is accepted as the extension does (410 Gone).
    await expect(client.raiseEvent(id, "Go", 1)).resolves.toBeUndefined();
  });

  it("gives an instance started without input the empty string, as axios posts it to the extension", async () => {
    const { client, backend } = harness;
    const id = await client.startNew("Waiter");
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).input).toBe("");
  });

  it("answers with the status codes and headers the extension uses", async () => {
    const { baseUrl } = harness;
    const id = await startWaiter("codes-1");
    const running = await fetch(`${baseUrl}${API}/instances/${id}?showHistory=true&showHistoryOutput=true`);
    expect(running.status).toBe(202);
    expect(running.headers.get("location")).toBe(
      `${baseUrl}${API}/instances/${id}?showHistory=true&showHistoryOutput=true`,
    );
    const body = (await running.json()) as { historyEvents: { EventType: string }[] };
    expect(body.historyEvents.map((event) => event.EventType)).toEqual(["ExecutionStarted"]);

    expect((await fetch(`${baseUrl}${API}/instances/nobody`)).status).toBe(404);
    const badJson = await fetch(`${baseUrl}${API}/orchestrators/Waiter`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    const rewind = await fetch(`${baseUrl}${API}/instances/${id}/rewind?reason=x`, { method: "POST" });
    expect(rewind.status).toBe(412);
  });

  it("refuses to start over a running instance but restarts a finished one", async () => {
    // DurableTask.AzureStorage throws OrchestrationAlreadyExistsException (host.json: NonRunningStates), which the
    // extension's HttpApiHandler answers with its catch-all 500, not a 409.
    const { client, backend } = harness;
    await startWaiter("dup-1");
    await expect(client.startNew("Waiter", { instanceId: "dup-1" })).rejects.toThrow(/500/);
    await client.terminate("dup-1", "make room");
    await expect(client.startNew("Waiter", { instanceId: "dup-1", input: 2 })).resolves.toBe("dup-1");
    await idle(backend, "the durable backend");
    expect(await client.getStatus("dup-1")).toMatchObject({ runtimeStatus: "Running", input: 2 });
  });

  it("rejects unknown orchestrators and reports unknown instances", async () => {
    const { client } = harness;
    await expect(client.startNew("NoSuchOrchestrator")).rejects.toThrow(/400/);
    await expect(client.getStatus("missing")).rejects.toThrow(/404/);
    await expect(client.raiseEvent("missing", "Go", 1)).rejects.toThrow("No instance with ID 'missing' found.");
    await expect(client.terminate("missing", "x")).rejects.toThrow("No instance with ID 'missing' found.");
  });

  it("terminates an instance with its reason as output", async () => {
    const { client, backend } = harness;
    const id = await startWaiter("term-1");
    await client.terminate(id, "no longer needed");
    await idle(backend, "the durable backend");
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Terminated", output: "no longer needed" });
    await expect(client.terminate(id, "again")).resolves.toBeUndefined();
  });

  it("suspends an instance, holds its events, and runs them on resume", async () => {
    const { client, backend } = harness;
    const id = await startWaiter("susp-1");
    await client.suspend(id, "hold on");
    await client.raiseEvent(id, "Go", "later");
    await idle(backend, "the durable backend");
    expect((await client.getStatus(id)).runtimeStatus).toBe("Suspended");
    await client.resume(id, "carry on");
    await idle(backend, "the durable backend");
    expect(await client.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: { got: "later" } });
  });

  it("lists and filters instances, paging with the continuation header", async () => {
    const { client, backend, clock, baseUrl } = harness;
    await startWaiter("list-a");
    await clock.advance(60_000);
    await startWaiter("list-b");
    await startWaiter("other-c");
    await client.raiseEvent("list-b", "Go", 1);
    await idle(backend, "the durable backend");

    expect((await client.getStatusAll()).map((status) => status.instanceId).sort()).toEqual([
      "list-a",
      "list-b",
      "other-c",
    ]);
    const running = await client.getStatusBy({ runtimeStatus: [OrchestrationRuntimeStatus.Running] });
    expect(running.map((status) => status.instanceId).sort()).toEqual(["list-a", "other-c"]);
    const later = await client.getStatusBy({ createdTimeFrom: new Date(HARNESS_START_MS + 30_000) });
    expect(later.map((status) => status.instanceId).sort()).toEqual(["list-b", "other-c"]);

    const pages: string[][] = [];
    let token: string | null = null;
    do {
      const response: Response = await fetch(`${baseUrl}${API}/instances?instanceIdPrefix=list-&top=1`, {
        headers: token === null ? {} : { "x-ms-continuation-token": token },
      });
      pages.push(((await response.json()) as { instanceId: string }[]).map((status) => status.instanceId));
      token = response.headers.get("x-ms-continuation-token");
    } while (token !== null);
    expect(pages).toEqual([["list-a"], ["list-b"]]);
  });

  it("purges instances one at a time whatever their status, and finished ones by filter", async () => {
    const { client, backend } = harness;
    await startWaiter("purge-a");
    await startWaiter("purge-b");
    await startWaiter("purge-c");
    await startWaiter("purge-running");
    // HttpApiHandler.HandleDeleteHistoryByIdRequestAsync checks only that the instance exists: a running one goes.
    expect(await client.purgeInstanceHistory("purge-running")).toEqual({ instancesDeleted: 1 });
    await expect(client.getStatus("purge-running")).rejects.toThrow(/404/);
    await client.terminate("purge-a", "done");
    await client.terminate("purge-b", "done");
    await idle(backend, "the durable backend");

    expect(await client.purgeInstanceHistory("purge-a")).toEqual({ instancesDeleted: 1 });
    await expect(client.getStatus("purge-a")).rejects.toThrow(/404/);
    expect((await client.purgeInstanceHistory("purge-a")).instancesDeleted).toBe(0);

    const purged = await client.purgeInstanceHistoryBy({
      createdTimeFrom: new Date(HARNESS_START_MS - 1000),
      runtimeStatus: [OrchestrationRuntimeStatus.Terminated, OrchestrationRuntimeStatus.Running],
    });
    expect(purged.instancesDeleted).toBe(1);
    expect((await client.getStatusAll()).map((status) => status.instanceId)).toEqual(["purge-c"]);
  });

  it("makes createCheckStatusResponse point at the host's base URL", async () => {
    const { client, baseUrl } = harness;
    const id = await startWaiter("links-1");
    const request = new HttpRequest({ method: "POST", url: `${baseUrl}/api/start` });
    const response = client.createCheckStatusResponse(request, id);
    expect(response.status).toBe(202);
    const links = (await response.json()) as Record<string, string>;
    expect(links.id).toBe(id);
    expect(links.statusQueryGetUri).toBe(`${baseUrl}${API}/instances/${id}?taskHub=TestHub&connection=Storage`);
    const polled = await fetch(links.statusQueryGetUri ?? "");
    expect(polled.status).toBe(202);
    expect(((await polled.json()) as { runtimeStatus: string }).runtimeStatus).toBe("Running");
    await fetch((links.sendEventPostUri ?? "").replace("{eventName}", "Go"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '"via link"',
    });
    await idle(harness.backend, "the durable backend");
    expect((await client.getStatus(id)).output).toEqual({ got: "via link", input: { n: id } });
  });
});
