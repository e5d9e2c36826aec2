// The host's one line per invocation: name, outcome, id and a whole-millisecond duration, for success and failure.
import { invocationLine } from "../../dev/host/invoker";

const ID = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("invocationLine", () => {
  it("rounds the duration of a successful invocation", () => {
    expect(invocationLine("health", ID, 12.5)).toBe(`Executed 'Functions.health' (Succeeded, Id=${ID}, Duration=13ms)`);
  });

  it("rounds the duration of a failed invocation the same way, and gives the error's first line", () => {
    expect(invocationLine("issue", ID, 1234.4999, { error: new Error("vault said no\n    at stack") })).toBe(
      `Executed 'Functions.issue' (Failed, Id=${ID}, Duration=1234ms): vault said no`,
    );
    expect(invocationLine("issue", ID, 0.4, { error: "plain" })).toBe(
      `Executed 'Functions.issue' (Failed, Id=${ID}, Duration=0ms): plain`,
    );
  });
});
