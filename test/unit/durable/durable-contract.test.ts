// Pins the durable-functions internals the local durable backend relies on: the exact package version, the numbers of
// actions, history events and replay schemas, the orchestrator trigger and reply shapes, how retries and long timers
// take sequence ids, the failure payload, and the entity batch. An upgrade that changes any of it fails here first.
import * as df from "durable-functions";
import { DummyEntityContext, DummyOrchestrationContext } from "durable-functions";
import type { EntityContext, EntityHandler, OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { flattenActions } from "../../../dev/durable/actions";
import { history } from "../../../dev/durable/history";
import {
  ActionType,
  DURABLE_FUNCTIONS_VERSION,
  EventType,
  OUT_OF_PROC_DATA_LABEL,
  ReplaySchema,
  UPPER_SCHEMA_VERSION,
  entitySchedulerId,
} from "../../../dev/durable/protocol";
import type { HistoryEvent } from "../../../dev/durable/protocol";
import { readOrchestratorFailure, readOrchestratorState } from "../../../dev/durable/replies";
import { entityTrigger, orchestratorTrigger } from "../../../dev/durable/triggers";

type Handler = (trigger: unknown, context: unknown) => Promise<unknown>;
type Flow = Generator<Task, unknown, unknown>;

const testing = jest.requireActual<{
  createOrchestrator(fn: OrchestrationHandler): Handler;
  createEntityFunction(fn: EntityHandler<unknown>): Handler;
}>("durable-functions/lib/src/util/testingUtils");

function namedMembers(enumObject: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(enumObject).filter(([name]) => Number.isNaN(Number(name))));
}

const T0 = Date.UTC(2030, 0, 1);
const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;

/** Runs the library's orchestrator on the trigger the backend builds, across the wire as JSON both ways. */
async function replay(fn: OrchestrationHandler, episodes: HistoryEvent[][], input: unknown): Promise<unknown> {
  const past = episodes.slice(0, -1).flat();
  const episode = episodes.at(-1) ?? [];
  const trigger = orchestratorTrigger({ past, episode, input, instanceId: "contract-1" });
  const context = new DummyOrchestrationContext("contract", "invocation", () => undefined);
  const reply = await testing.createOrchestrator(fn)(JSON.parse(JSON.stringify(trigger)), context);
  return JSON.parse(JSON.stringify(reply)) as unknown;
}

const started = (atMs: number, input: unknown): HistoryEvent[] => [
  history.orchestratorStarted(atMs),
  history.executionStarted(atMs, {
    name: "contract",
    input: JSON.stringify(input),
    instanceId: "contract-1",
    executionId: "e1",
  }),
];

describe("durable-functions contract", () => {
  it("is the exact version the backend was written against", () => {
    expect(jest.requireActual<{ version: string }>("durable-functions/package.json").version).toBe(
      DURABLE_FUNCTIONS_VERSION,
    );
    const app = jest.requireActual<{ dependencies: Record<string, string> }>("../../../package.json");
    expect(app.dependencies["durable-functions"]).toBe(DURABLE_FUNCTIONS_VERSION);
  });

  it("numbers actions, history events and replay schemas as the backend does", () => {
    const actions = jest.requireActual<{ ActionType: Record<string, unknown> }>(
      "durable-functions/lib/src/actions/ActionType",
    );
    const events = jest.requireActual<{ HistoryEventType: Record<string, unknown> }>(
      "durable-functions/lib/src/history/HistoryEventType",
    );
    const schemas = jest.requireActual<{ ReplaySchema: Record<string, unknown>; LatestReplaySchema: number }>(
      "durable-functions/lib/src/orchestrations/ReplaySchema",
    );
    expect(namedMembers(actions.ActionType)).toEqual(ActionType);
    expect(namedMembers(events.HistoryEventType)).toEqual(EventType);
    expect(namedMembers(schemas.ReplaySchema)).toEqual(ReplaySchema);
    expect(schemas.LatestReplaySchema).toBe(UPPER_SCHEMA_VERSION);
  });

  it("builds entity scheduler ids as the backend does (name lower-cased, key kept)", () => {
    expect(new df.EntityId("Counter", "K1").toString()).toBe("@counter@K1");
    expect(entitySchedulerId("Counter", "K1")).toBe("@counter@K1");
  });

  it("replays every kind of action from real history and numbers retries as the backend does", async () => {
    const flow = function* (context: OrchestrationContext): Flow {
      context.df.setCustomStatus({ step: 1 });
      const a: unknown = yield context.df.callActivity("A", "text");
      const bs: unknown = yield context.df.Task.all([context.df.callActivity("B", 1), context.df.callActivity("B", 2)]);
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60 * SECOND));
      const e: unknown = yield context.df.waitForExternalEvent("E");
      context.df.signalEntity(new df.EntityId("Counter", "K1"), "add", 1);
      const v: unknown = yield context.df.callEntity(new df.EntityId("Counter", "K1"), "get");
      const s: unknown = yield context.df.callSubOrchestrator("S", { x: 1 }, "child-1");
      const r: unknown = yield context.df.callActivityWithRetry("R", new df.RetryOptions(1000, 2));
      context.df.continueAsNew({ input: context.df.getInput(), a, bs, e, v, s, r });
      return undefined;
    };
    const episodes: HistoryEvent[][] = [started(T0, { n: 1 })];
    const step = async (scheduled: HistoryEvent[], atMs: number, ...events: HistoryEvent[]) => {
      const last = episodes.at(-1) ?? [];
      last.push(...scheduled, history.orchestratorCompleted(atMs));
      episodes.push([history.orchestratorStarted(atMs), ...events]);
      return readOrchestratorState(await replay(flow, episodes, { n: 1 }));
    };

    const first = readOrchestratorState(await replay(flow, episodes, { n: 1 }));
    expect(first).toMatchObject({ isDone: false, customStatus: { step: 1 }, schemaVersion: UPPER_SCHEMA_VERSION });
    expect(first.actions).toEqual([[{ actionType: ActionType.CallActivity, functionName: "A", input: '"text"' }]]);
    expect(flattenActions(first.actions)).toEqual([
      { kind: "activity", withRetry: false, functionName: "A", input: "text" },
    ]);

    const t1 = T0 + SECOND;
    const second = await step([history.taskScheduled(T0, 0, "A", '"text"')], t1, history.taskCompleted(t1, 0, '"a"'));
    expect((second.actions as unknown[][])[0]?.[1]).toEqual({
      actionType: ActionType.WhenAll,
      compoundActions: [
        { actionType: ActionType.CallActivity, functionName: "B", input: 1 },
        { actionType: ActionType.CallActivity, functionName: "B", input: 2 },
      ],
    });

    const t2 = T0 + 2 * SECOND;
    const third = await step(
      [history.taskScheduled(t1, 1, "B", "1"), history.taskScheduled(t1, 2, "B", "2")],
      t2,
      history.taskCompleted(t2, 2, "4"),
      history.taskCompleted(t2, 1, "2"),
    );
    expect(flattenActions(third.actions).at(-1)).toEqual({
      kind: "timer",
      fireAtMs: t2 + 60 * SECOND,
      isCanceled: false,
    });

    const t3 = t2 + 60 * SECOND;
    const fourth = await step([history.timerCreated(t2, 3, t3)], t3, history.timerFired(t3, 3, t3));
    expect((fourth.actions as unknown[][])[0]?.at(-1)).toEqual({
      actionType: ActionType.WaitForExternalEvent,
      externalEventName: "E",
      reason: "ExternalEvent",
    });

    const t4 = t3 + SECOND;
    const fifth = await step([], t4, history.eventRaised(t4, "E", '{"ok":true}'));
    expect((fifth.actions as unknown[][])[0]?.slice(-2)).toEqual([
      { actionType: ActionType.SignalEntity, instanceId: "@counter@K1", operation: "add", input: 1 },
      { actionType: ActionType.CallEntity, instanceId: "@counter@K1", operation: "get" },
    ]);

    const t5 = t4 + SECOND;
    const request = JSON.stringify({ id: "req-1", op: "get", signal: false, parent: "contract-1" });
    const sixth = await step(
      [
        history.eventSent(t4, 4, "@counter@K1", "op", JSON.stringify({ id: "sig-1", op: "add", signal: true })),
        history.eventSent(t4, 5, "@counter@K1", "op", request),
      ],
      t5,
      history.eventRaised(t5, "req-1", JSON.stringify({ result: "7" })),
    );
    expect(flattenActions(sixth.actions).at(-1)).toEqual({
      kind: "subOrchestration",
      withRetry: false,
      functionName: "S",
      instanceId: "child-1",
      input: { x: 1 },
    });

    const t6 = t5 + SECOND;
    const seventh = await step(
      [history.subOrchestrationCreated(t5, 6, "S", "child-1", '{"x":1}')],
      t6,
      history.subOrchestrationCompleted(t6, 6, '"sub"'),
    );
    expect((seventh.actions as unknown[][])[0]?.at(-1)).toEqual({
      actionType: ActionType.CallActivityWithRetry,
      functionName: "R",
      retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 2 },
    });

    // A failed attempt: the library waits for a timer numbered next (8), then for the new attempt after it (9).
    const t7 = t6 + SECOND;
    const failure = { reason: "Activity function 'R' failed: nope", details: "stack" };
    const eighth = await step([history.taskScheduled(t6, 7, "R", "null")], t7, history.taskFailed(t7, 7, failure));
    expect(eighth.isDone).toBe(false);
    const t8 = t7 + SECOND;
    const ninth = await step([history.timerCreated(t7, 8, t8)], t8, history.timerFired(t8, 8, t8));
    expect(ninth.isDone).toBe(false);
    const t9 = t8 + SECOND;
    const last = await step([history.taskScheduled(t8, 9, "R", "null")], t9, history.taskCompleted(t9, 9, '"r"'));
    expect(last.isDone).toBe(true);
    expect(flattenActions(last.actions).at(-1)).toEqual({
      kind: "continueAsNew",
      input: { input: { n: 1 }, a: "a", bs: [2, 4], e: { ok: true }, v: 7, s: "sub", r: "r" },
    });
  });

  it("fails a retried task only after the wait timer that follows its last attempt", async () => {
    const flow = function* (context: OrchestrationContext): Flow {
      try {
        yield context.df.callActivityWithRetry("R", new df.RetryOptions(1000, 1));
        return "no error";
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    };
    const t1 = T0 + SECOND;
    const failed = [
      ...started(T0, null),
      history.taskScheduled(T0, 0, "R", "null"),
      history.orchestratorCompleted(T0),
      history.orchestratorStarted(t1),
      history.taskFailed(t1, 0, { reason: "Activity function 'R' failed: nope", details: "at R" }),
    ];
    expect(readOrchestratorState(await replay(flow, [failed], null)).isDone).toBe(false);
    const t2 = t1 + SECOND;
    const waited = [history.timerCreated(t1, 1, t2), history.orchestratorCompleted(t1)];
    const fired = [history.orchestratorStarted(t2), history.timerFired(t2, 1, t2)];
    const done = readOrchestratorState(await replay(flow, [[...failed, ...waited], fired], null));
    expect(done).toMatchObject({ isDone: true, output: "Activity function 'R' failed: nope \n at R" });
  });

  it("waits on a timer longer than six days in pieces numbered as they fire", async () => {
    const flow = function* (context: OrchestrationContext): Flow {
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 10 * DAY));
      return "woke";
    };
    const first = readOrchestratorState(await replay(flow, [started(T0, null)], null));
    expect(flattenActions(first.actions)).toEqual([{ kind: "timer", fireAtMs: T0 + 10 * DAY, isCanceled: false }]);
    const pieces: [number, number][] = [
      [0, T0 + 3 * DAY],
      [1, T0 + 6 * DAY],
      [2, T0 + 10 * DAY],
    ];
    const episodes: HistoryEvent[][] = [started(T0, null)];
    let scheduledAt = T0;
    const outcomes: boolean[] = [];
    for (const [id, fireAt] of pieces) {
      episodes.at(-1)?.push(history.timerCreated(scheduledAt, id, fireAt), history.orchestratorCompleted(scheduledAt));
      episodes.push([history.orchestratorStarted(fireAt), history.timerFired(fireAt, id, fireAt)]);
      outcomes.push(readOrchestratorState(await replay(flow, episodes, null)).isDone);
      scheduledAt = fireAt;
    }
    expect(outcomes).toEqual([false, false, true]);
  });

  it("reports an orchestrator's failure with its state after the $OutOfProcData$ label", async () => {
    const flow = function* (context: OrchestrationContext): Flow {
      context.df.setCustomStatus("about to fail");
      yield context.df.callActivity("A");
      throw new Error("kaput");
    };
    const t1 = T0 + SECOND;
    const episodes = [
      [...started(T0, null), history.taskScheduled(T0, 0, "A", "null"), history.orchestratorCompleted(T0)],
      [history.orchestratorStarted(t1), history.taskCompleted(t1, 0, "null")],
    ];
    const rejection: unknown = await replay(flow, episodes, null).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(Error);
    expect((rejection as Error).message).toContain(`\n\n${OUT_OF_PROC_DATA_LABEL}`);
    const failure = readOrchestratorFailure(rejection);
    expect(failure.message).toBe("kaput");
    expect(failure.state).toMatchObject({ isDone: false, customStatus: "about to fail" });
  });

  it("runs an entity batch in the shape the backend sends and replies in the shape it reads", async () => {
    const counter = (context: EntityContext<unknown>): void => {
      const value = Number(context.df.getState(() => 0));
      if (context.df.operationName === "add") {
        context.df.setState(value + Number(context.df.getInput()));
        context.df.signalEntity(new df.EntityId("Audit", context.df.entityKey), "record", 1);
      } else {
        context.df.return(value);
      }
    };
    const trigger = entityTrigger({
      name: "counter",
      key: "K1",
      exists: true,
      state: "2",
      batch: [
        { id: "op-1", name: "add", signal: true, input: "5" },
        { id: "op-2", name: "get", signal: false },
      ],
    });
    const context = new DummyEntityContext("counter", "invocation", () => undefined);
    const reply = JSON.parse(
      JSON.stringify(await testing.createEntityFunction(counter)(JSON.parse(JSON.stringify(trigger)), context)),
    ) as unknown;
    expect(reply).toMatchObject({
      entityExists: true,
      entityState: "7",
      results: [{ isError: false }, { isError: false, result: "7" }],
      signals: [{ target: { name: "Audit", key: "K1" }, name: "record", input: "1", requestId: "op-1" }],
    });
  });
});
