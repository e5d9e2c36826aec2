// The tests StrykerJS runs against each mutant (`npm run mutate`): the unit project alone. Stryker's jest runner calls
// jest for every mutant it tests, so a global setup (Azurite) would start each time, and the integration and e2e
// projects need Azurite, the emulators or the whole sandbox: they stay out. Same transform as jest.config.js
// (ts-jest, transpile only), which also compiles Stryker's instrumented sources (they carry `// @ts-nocheck`).
const base = require("./jest.config.js");

const { displayName: _unit, ...unit } = base.projects.find((project) => project.displayName === "unit");

/** @type {import('jest').Config} */
module.exports = {
  ...unit,
  workerIdleMemoryLimit: base.workerIdleMemoryLimit,
};
