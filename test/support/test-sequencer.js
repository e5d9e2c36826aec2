// The order jest starts test files in (jest.config.js, testSequencer). With timings from an earlier run, jest's own:
// the slowest first. Without any (a fresh clone, as on CI) jest starts the biggest files first, and a short file that
// runs long (the chaos e2e: a minute of sandbox in 40 lines) started among the last and held one worker alone at the
// end of the run. Then the e2e files start first, the integration files next, the unit files (many, quick) fill the
// end; by size within each, the files below first. Plain JavaScript: jest loads it without its transform.
"use strict";
const TestSequencer = require("@jest/test-sequencer").default;

const PROJECTS = ["e2e", "integration", "unit"];
/** Short files that run long: first of their project. */
const SLOW_SHORT_FILES = [/\/test\/e2e\/chaos\.test\.ts$/];

const rank = (test) => {
  const project = PROJECTS.indexOf(test.context.config.displayName?.name ?? "");
  const slow = SLOW_SHORT_FILES.some((pattern) => pattern.test(test.path.replace(/\\/g, "/")));
  return (project < 0 ? PROJECTS.length : project) * 2 + (slow ? 0 : 1);
};

class LongestFirst extends TestSequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    if (sorted.some((test) => test.duration != null)) return sorted;
    return sorted
      .map((test, index) => ({ test, index, rank: rank(test) }))
      .sort((a, b) => a.rank - b.rank || a.index - b.index)
      .map(({ test }) => test);
  }
}

module.exports = LongestFirst;
