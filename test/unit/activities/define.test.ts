// Typed activity handles: registration under the given name with its extra inputs, the handler called with the
// input and the invocation context, and `run` scheduling the call with or without a retry policy.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import * as df from "durable-functions";
import type { InvocationContext } from "@azure/functions";
import { defineActivity, run } from "../../../src/activities/define";
import { ActionType } from "../../../dev/durable/protocol";
import { FakeInvoker } from "../../support/durable/fake-invoker";

const seen: { input: unknown; functionName: string }[] = [];
const echo = defineActivity<{ readonly n: number }, { readonly doubled: number }>(
  "defineTestEcho",
  (input, context: InvocationContext) => {
    seen.push({ input, functionName: context.functionName });
    return Promise.resolve({ doubled: input.n * 2 });
  },
  [df.input.durableClient()],
);

describe("defineActivity", () => {
  const invoker = new FakeInvoker();
  invoker.clientData = () => ({ taskHubName: "TestHub" });

  it("registers an activity under its name, with its extra inputs, and calls the handler with input and context", async () => {
    expect(echo.name).toBe("defineTestEcho");
    const registered = invoker.functions().find((fn) => fn.name === "defineTestEcho");
    expect(registered?.trigger.type).toBe("activityTrigger");
    expect(Object.values(registered?.metadata.bindings ?? {}).map((binding) => binding.type)).toContain(
      "durableClient",
    );
    const outcome = await invoker.invoke("defineTestEcho", { n: 21 });
    expect(outcome.returnValue).toEqual({ doubled: 42 });
    expect(seen).toEqual([{ input: { n: 21 }, functionName: "defineTestEcho" }]);
  });

  it("registers no extra input unless asked", () => {
    defineActivity("defineTestPlain", () => Promise.resolve(null));
    const registered = invoker.functions().find((fn) => fn.name === "defineTestPlain");
    expect(Object.values(registered?.metadata.bindings ?? {}).map((binding) => binding.type)).toEqual([
      "activityTrigger",
    ]);
  });
});

describe("run", () => {
  function firstAction(flow: Generator<unknown, unknown, unknown>): Record<string, unknown> {
    const step = flow.next();
    expect(step.done).toBe(false);
    return (step.value as { actionObj: Record<string, unknown> }).actionObj;
  }

  it("schedules the activity once, without retries, when no policy is given", () => {
    const flow = run(echo, { n: 1 });
    expect(firstAction(flow)).toEqual({
      actionType: ActionType.CallActivity,
      functionName: "defineTestEcho",
      input: { n: 1 },
    });
    expect(flow.next({ doubled: 2 })).toEqual({ done: true, value: { doubled: 2 } });
  });

  it("schedules the activity with the retry policy given", () => {
    const retry = new df.RetryOptions(1000, 3);
    const flow = run(echo, { n: 1 }, retry);
    expect(firstAction(flow)).toMatchObject({
      actionType: ActionType.CallActivityWithRetry,
      functionName: "defineTestEcho",
      retryOptions: retry,
    });
  });
});
