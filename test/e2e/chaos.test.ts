// A small seeded chaos run (npm run chaos's own code) as part of npm test: a few lifecycle requests through every way
// in, with faults on every dependency, on a sandbox of its own; every invariant must hold.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatReport } from "../../bench/chaos/report";
import { runChaos } from "../../bench/chaos/run";

const dir = mkdtempSync(join(tmpdir(), "p2s-chaos-test-"));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it("keeps every invariant through a seeded run with faults on every dependency", async () => {
  const report = await runChaos({
    seed: 7,
    requests: 8,
    users: 6,
    concurrency: 5,
    followMs: 30_000,
    dir,
    appEntry: () => import("../../src/index"),
    // The test run's Azurite: a second one would take its start-up time again on a loaded machine.
    storageConnectionString: process.env.P2S_TEST_AZURITE ?? "",
  });
  const text = formatReport(report);
  // The failing invariants with their violations: a diff of the report text against itself shows only `passed`.
  const failing = report.invariants.filter((r) => r.violations.length > 0);
  // The whole report with the failing users' histories: jest's diff shows only a few lines of it.
  if (!report.passed) process.stderr.write(text);
  expect({ failing, passed: report.passed, text }).toEqual({ failing: [], passed: true, text });
  expect(report.invariants.map((r) => r.violations)).toEqual([[], [], [], [], [], []]);
  // The run did something under faults: requests were accepted, faults were injected.
  expect(Object.values(report.ways).reduce((sum, w) => sum + w.accepted, 0)).toBeGreaterThan(4);
  // Seed 7's plan starts a root rotation (its second request), and it runs to the end under the faults.
  expect({ rotations: report.requestEnds["rootRotation succeeded (completed)"], text }).toEqual({ rotations: 1, text });
  expect(Object.values(report.faults).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
  // A deadline, not a timing claim: 30 s of CPU, but 129 to 150 s of wall time at a load average of 20.
}, 240_000);
