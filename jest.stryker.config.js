// The tests StrykerJS runs against each mutant (`npm run mutate`): the unit project alone. Stryker's jest runner calls
// jest for every mutant it tests, so a global setup (Azurite) would start each time, and the integration and e2e
// projects need Azurite, the emulators or the whole sandbox: they stay out. Same transform as jest.config.js
// (ts-jest, transpile only), which also compiles Stryker's instrumented sources (they carry `// @ts-nocheck`).
const base = require("./jest.config.js");

const { displayName: _unit, ...unit } = base.projects.find((project) => project.displayName === "unit");

/** @type {import('jest').Config} */
module.exports = {
  ...unit,
  // pkcs12.test.ts drives the PKCS#12 worker thread (src/workers, outside the mutated folders) with builds of up to
  // 300,000 iterations: the slowest unit file by far, and every mutant of a certificate helper it imports would rerun
  // it. The code it reaches in src/domain is tested in this process by pkcs12-job.test.ts and pkcs12-profiles.test.ts.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/unit/ca/pkcs12\\.test\\.ts$"],
  // Stryker runs each mutant against jest's findRelatedTests, which follows imports only through files under `roots`;
  // it adds only the mutated file's folder. With test/unit alone, a test reaching src/domain through
  // src/orchestrations, src/activities or src/clients was never run against that domain file's mutants (they showed
  // as "no coverage": all of lifecycle.ts). All of src is crawled so that every importing chain is followed.
  roots: [...unit.roots, "<rootDir>/src"],
  workerIdleMemoryLimit: base.workerIdleMemoryLimit,
};
