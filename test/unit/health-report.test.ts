import { runHealthChecks } from "../../src/domain/health";

describe("runHealthChecks", () => {
  it("is healthy when every probe passes", async () => {
    const report = await runHealthChecks([{ name: "a", probe: () => Promise.resolve("ok") }], "1.0.0", 1000);
    expect(report).toMatchObject({ status: "healthy", version: "1.0.0", failing: [] });
    expect(report.checks[0]).toMatchObject({ name: "a", status: "pass", detail: "ok" });
  });

  it("names the failing probe and its reason", async () => {
    const report = await runHealthChecks(
      [
        { name: "a", probe: () => Promise.resolve("ok") },
        { name: "b", probe: () => Promise.reject(new Error("refused")) },
      ],
      "1.0.0",
      1000,
    );
    expect(report.status).toBe("unhealthy");
    expect(report.failing).toEqual(["b"]);
    expect(report.checks[1]).toMatchObject({ status: "fail", detail: "refused" });
  });

  it("fails a probe that outlives its time limit and aborts it", async () => {
    let aborted = false;
    const report = await runHealthChecks(
      [
        {
          name: "slow",
          // Never answers by itself: only the time limit can end it, whatever the machine's load.
          probe: (signal) =>
            new Promise(() => {
              signal.addEventListener("abort", () => {
                aborted = true;
              });
            }),
        },
      ],
      "1.0.0",
      50,
    );
    expect(report.failing).toEqual(["slow"]);
    expect(report.checks[0]?.detail).toContain("timed out after 50 ms");
    expect(aborted).toBe(true);
  });

  it("gives a probe's time in whole milliseconds from the monotonic clock", async () => {
    const now = jest.spyOn(performance, "now").mockReturnValueOnce(1000).mockReturnValueOnce(1250.6);
    try {
      const report = await runHealthChecks([{ name: "a", probe: () => Promise.resolve("ok") }], "1.0.0", 1000);
      expect(report.checks[0]?.durationMs).toBe(251);
    } finally {
      now.mockRestore();
    }
  });

  it("reports a probe that rejects with something other than an Error by its text, and its time", async () => {
    const now = jest.spyOn(performance, "now").mockReturnValueOnce(10).mockReturnValueOnce(14.2);
    try {
      const report = await runHealthChecks(
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a probe may reject with anything
        [{ name: "odd", probe: () => Promise.reject("plain refusal") }],
        "2.0.0",
        1000,
      );
      expect(report).toEqual({
        status: "unhealthy",
        version: "2.0.0",
        checks: [{ name: "odd", status: "fail", detail: "plain refusal", durationMs: 4 }],
        failing: ["odd"],
      });
    } finally {
      now.mockRestore();
    }
  });

  it("leaves no timer behind and does not abort a probe that answered in time", async () => {
    jest.useFakeTimers();
    try {
      let signal: AbortSignal | undefined;
      const report = await runHealthChecks(
        [
          {
            name: "a",
            probe: (s) => {
              signal = s;
              return Promise.resolve("ok");
            },
          },
          { name: "b", probe: () => Promise.reject(new Error("down")) },
        ],
        "1.0.0",
        1000,
      );
      expect(report.failing).toEqual(["b"]);
      expect(jest.getTimerCount()).toBe(0);
      expect(signal?.aborted).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});
