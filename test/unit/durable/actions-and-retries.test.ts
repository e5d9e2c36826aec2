import { describeRecorded, flattenActions, ProtocolError, sameDecision } from "../../../dev/durable/actions";
import { ActionType } from "../../../dev/durable/protocol";
import { parseRetryOptions, retryDelayMs, withinRetryTimeout } from "../../../dev/durable/retry-policy";

describe("flattenActions", () => {
  it("flattens Task.all / Task.any depth-first into the leaves the library numbers", () => {
    const leaves = flattenActions([
      [
        { actionType: ActionType.CallActivity, functionName: "A", input: '"x"' },
        {
          actionType: ActionType.WhenAny,
          compoundActions: [
            { actionType: ActionType.WaitForExternalEvent, externalEventName: "E", reason: "ExternalEvent" },
            {
              actionType: ActionType.WhenAll,
              compoundActions: [
                { actionType: ActionType.CreateTimer, fireAt: "2030-01-01T00:00:00.000Z", isCanceled: true },
              ],
            },
          ],
        },
        { actionType: ActionType.ContinueAsNew, input: { n: 1 } },
      ],
    ]);
    expect(leaves).toEqual([
      { kind: "activity", withRetry: false, functionName: "A", input: "x" },
      { kind: "externalEvent", eventName: "E" },
      { kind: "timer", fireAtMs: Date.UTC(2030, 0, 1), isCanceled: true },
      { kind: "continueAsNew", input: { n: 1 } },
    ]);
  });

  it("refuses shapes it does not know instead of guessing", () => {
    expect(() => flattenActions([[{ actionType: 42 }]])).toThrow(ProtocolError);
    expect(() => flattenActions([[{ actionType: ActionType.CallActivity }]])).toThrow("has no functionName");
  });

  it("marks durable HTTP and entity locks as unsupported", () => {
    expect(flattenActions([[{ actionType: ActionType.CallHttp, httpRequest: {} }]])).toEqual([
      { kind: "unsupported", actionType: ActionType.CallHttp, what: "callHttp (durable HTTP)" },
    ]);
  });
});

describe("sameDecision", () => {
  const activity = (functionName: string, withRetry = false) =>
    ({ kind: "activity", withRetry, functionName, input: null }) as const;

  it("compares type and name, ignoring inputs and letter case of function names", () => {
    expect(sameDecision(activity("Greet"), { ...activity("greet"), input: 5 })).toBe(true);
    expect(sameDecision(activity("Greet"), activity("Shout"))).toBe(false);
    expect(sameDecision(activity("Greet"), activity("Greet", true))).toBe(false);
    expect(sameDecision(activity("Greet"), { kind: "timer", fireAtMs: 0, isCanceled: false })).toBe(false);
  });

  it("describes a recorded decision by the history event it left", () => {
    expect(describeRecorded(activity("Greet"), 2, 2)).toBe("TaskScheduled 'Greet' at sequence 2");
    expect(describeRecorded({ kind: "externalEvent", eventName: "Go" }, undefined, 3)).toBe(
      "WaitForExternalEvent 'Go' at action #3",
    );
  });
});

describe("retry policy", () => {
  const policy = parseRetryOptions({
    firstRetryIntervalInMilliseconds: 1000,
    maxNumberOfAttempts: 5,
    backoffCoefficient: 2,
    maxRetryIntervalInMilliseconds: 5000,
    retryTimeoutInMilliseconds: 60_000,
  });

  it("backs off exponentially up to the max interval", () => {
    expect([1, 2, 3, 4, 5].map((failures) => retryDelayMs(policy, failures))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it("allows retries only inside the retry timeout counted from the first attempt", () => {
    expect(withinRetryTimeout(policy, 0, 59_999)).toBe(true);
    expect(withinRetryTimeout(policy, 0, 60_000)).toBe(false);
  });

  it("defaults what the library leaves out", () => {
    expect(parseRetryOptions({ firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 2 })).toEqual({
      firstRetryIntervalMs: 10,
      maxNumberOfAttempts: 2,
      backoffCoefficient: 1,
      maxRetryIntervalMs: Number.POSITIVE_INFINITY,
      retryTimeoutMs: Number.POSITIVE_INFINITY,
    });
    expect(() => parseRetryOptions({})).toThrow("retryOptions needs");
  });
});
