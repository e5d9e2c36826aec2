// entraChange step by step: one piece of Entra work under the retry policy, and a loud end when every retry fails.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import type { EntraWorkInput } from "../../../src/activities/entra";
import { entraChange } from "../../../src/orchestrations/entra-change";
import { OrchestrationDriver } from "./orchestration-driver";

const AT = new Date("2030-01-01T08:00:00.000Z");
const input: EntraWorkInput = {
  work: { kind: "user", objectId: "11111111-2222-3333-4444-555555555555" },
  actor: "entra:notification",
  causeId: "entra-change-1",
};
// 5 s, doubling, at most 5 minutes, 10 attempts: about half an hour of Graph throttling before it gives up.
const RETRY = {
  firstRetryIntervalInMilliseconds: 5000,
  maxNumberOfAttempts: 10,
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 300_000,
};

function start(): OrchestrationDriver {
  return new OrchestrationDriver(entraChange, input, { instanceId: "entra-change-1", currentUtcDateTime: AT });
}

describe("entraChange", () => {
  it("applies the work under the retry policy and returns what the activity did", () => {
    const flow = start();
    expect(flow.call).toEqual({ functionName: "applyEntraWork", input, retry: RETRY });
    flow.answer({ onboard: 1, offboard: 0, unchanged: 0 });
    expect(flow.done).toBe(true);
    expect(flow.output).toEqual({ onboard: 1, offboard: 0, unchanged: 0 });
  });

  it("when every retry fails, raises a critical alert keyed by the failure, then fails with the error", () => {
    const flow = start();
    const error = new Error("Graph answered 429 past the client's bound\n    at graph-client.ts:10");
    flow.fail(error);
    expect(flow.call).toEqual({
      functionName: "raiseAlert",
      input: {
        severity: "critical",
        key: "failure:entra-change-1:2030-01-01T08:00:00.000Z",
        title: "Entra user work failed (entra-change-1)",
        detail: "Graph answered 429 past the client's bound; entraReconcile converges the directory on its next run",
        subject: "entra",
      },
      retry: RETRY,
    });
    expect(() => flow.answer(undefined)).toThrow(error);
  });

  it("names the kind of work in the alert", () => {
    const flow = new OrchestrationDriver(
      entraChange,
      { ...input, work: { kind: "reconcile" } },
      { instanceId: "entra-reconcile-7", currentUtcDateTime: AT },
    );
    flow.fail(new Error("table down"));
    expect((flow.call.input as { title: string }).title).toBe("Entra reconcile work failed (entra-reconcile-7)");
  });
});
