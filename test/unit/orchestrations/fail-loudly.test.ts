// The alert text of a failed orchestration step: the failure's first line only (a failed activity's message carries
// its stack after it), without the padding some messages end their first line with.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { describeFailure } from "../../../src/orchestrations/fail-loudly";

describe("describeFailure", () => {
  it("keeps the first line of an Error's message, trimmed", () => {
    expect(describeFailure(new Error("  Activity function failed: 503 Service Unavailable  \n    at somewhere"))).toBe(
      "Activity function failed: 503 Service Unavailable",
    );
  });

  it("describes a non-Error by its text", () => {
    expect(describeFailure("table down\nmore")).toBe("table down");
  });
});
