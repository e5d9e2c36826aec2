jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import * as df from "durable-functions";
import { EventType } from "../../../dev/durable/protocol";
import { resetFixtureState } from "../../fixtures/durable-app";
import { startDurableHarness } from "../../support/durable/harness";
import type { DurableHarness } from "../../support/durable/harness";
import { idle } from "../../support/wait";

let harness: DurableHarness;

beforeEach(async () => {
  resetFixtureState();
  harness = await startDurableHarness();
});

afterEach(async () => {
  await harness.close();
});

describe("local durable backend: entities", () => {
  it("runs signals and calls from an orchestration in order and keeps the state", async () => {
    const { client, backend } = harness;
    const id = await client.startNew("CounterFlow", { input: "c1" });
    await idle(backend, "the durable backend");
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe(7);

    const counter = new df.EntityId("Counter", "c1");
    expect(await client.readEntityState<number>(counter)).toMatchObject({ entityExists: true, entityState: 7 });

    await client.signalEntity(counter, "add", 10);
    await idle(backend, "the durable backend");
    expect((await client.readEntityState<number>(counter)).entityState).toBe(17);

    // Every addition was signalled on to the audit entity with the same key.
    const audit = await client.readEntityState<number[]>(new df.EntityId("Audit", "c1"));
    expect(audit.entityState).toEqual([5, 2, 10]);

    // A second orchestration sees the state left by the first.
    const again = await client.startNew("CounterFlow", { input: "c1" });
    await idle(backend, "the durable backend");
    expect((await client.getStatus(again)).output).toBe(24);
  });

  it("records entity messages as EventSent and the call's answer as EventRaised", async () => {
    const { client, backend } = harness;
    const id = await client.startNew("CounterFlow", { input: "c2" });
    await idle(backend, "the durable backend");
    const events = backend.inspect(id)?.history ?? [];
    const sent = events.filter((event) => event.EventType === EventType.EventSent);
    expect(sent.map((event) => [event.EventId, event.InstanceId])).toEqual([
      [0, "@counter@c2"],
      [1, "@counter@c2"],
      [2, "@counter@c2"],
    ]);
    const request = JSON.parse(String(sent[2]?.Input)) as { id: string; op: string; signal: boolean };
    expect(request).toMatchObject({ op: "get", signal: false });
    const answer = events.find((event) => event.EventType === EventType.EventRaised && event.Name === request.id);
    expect(JSON.parse(String(answer?.Input))).toEqual({ result: "7" });
  });

  it("keys entities by lower-cased name and exact key", async () => {
    const { client, backend } = harness;
    await client.signalEntity(new df.EntityId("COUNTER", "Key"), "add", 3);
    await idle(backend, "the durable backend");
    expect((await client.readEntityState<number>(new df.EntityId("counter", "Key"))).entityState).toBe(3);
    expect((await client.readEntityState<number>(new df.EntityId("counter", "key"))).entityExists).toBe(false);
  });

  it("refuses signals to an entity function that does not exist", async () => {
    await expect(harness.client.signalEntity(new df.EntityId("Nobody", "k"), "add", 1)).rejects.toThrow(/404/);
  });

  it("lists entities with their state over the HTTP API", async () => {
    const { client, backend, baseUrl } = harness;
    await client.signalEntity(new df.EntityId("Counter", "listed"), "add", 4);
    await idle(backend, "the durable backend");
    const response = await fetch(`${baseUrl}/runtime/webhooks/durabletask/entities/counter?fetchState=true`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      expect.objectContaining({ entityId: { key: "listed", name: "counter" }, state: 4 }),
    ]);
  });
});
