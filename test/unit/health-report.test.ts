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
});
