// Three projects: unit (pure, fakes allowed), integration (real SDKs against Azurite and the emulators),
// e2e (the whole sandbox driven over HTTP). One Azurite for the run, started by the global setup.
// Transpile only (tsconfig.jest.json sets isolatedModules): type checking is done once by `npm run build` and the type-aware lint, not per test file.
const tsJest = { tsconfig: "tsconfig.jest.json" };
// jose ships ES modules only; Node runs them through require(esm), jest (before Node 24.9) does not: its files are
// transpiled to CommonJS like ours.
const esmOnly = ["jose"];
const tsJestJs = { tsconfig: { ...require("./tsconfig.json").compilerOptions, isolatedModules: true, allowJs: true } };

const project = (name, timeout, setup = []) => ({
  displayName: name,
  setupFilesAfterEnv: setup,
  testEnvironment: "node",
  roots: ["<rootDir>/test/" + name],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", tsJest],
    [`/node_modules/(${esmOnly.join("|")})/.+\\.js$`]: ["ts-jest", tsJestJs],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join("|")})/)`],
  moduleFileExtensions: ["ts", "js", "json"],
  // The PKCS#12 worker thread, run from source, compiles its TypeScript in the thread: from a cache (see the file).
  moduleNameMapper: { "^typescript$": "<rootDir>/test/support/typescript-cached.js" },
  testTimeout: timeout,
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    project("unit", 10000),
    project("integration", 60000),
    // Every e2e file fails if an API answer carried a durable management URL or key (test/support/e2e-answers-guard.ts).
    project("e2e", 120000, ["<rootDir>/test/support/e2e-answers-guard.ts"]),
  ],
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  // Per-project testTimeout is not honoured by jest: the slowest project's limit applies to all.
  testTimeout: 120000,
  maxWorkers: process.env.CI ? 2 : "50%",
  // Without earlier timings (CI's fresh clone) the e2e files start first, the slow short chaos e2e first of all.
  testSequencer: "<rootDir>/test/support/test-sequencer.js",
  // A worker that ran many sandbox tests holds hundreds of MB of not-yet-collected objects (sockets, TLS contexts,
  // RSA keys), and Node frees each one as the worker exits; that outlasts jest's 500 ms exit grace, so jest reported a
  // forced exit although nothing was left open. A worker whose heap grows past this is replaced between test files.
  workerIdleMemoryLimit: "400MB",
};
