// The `typescript` module as code run by jest resolves it (jest.config.js, moduleNameMapper). Run from source, the
// PKCS#12 worker thread (src/workers/pkcs12-thread.ts) compiles its .ts files with ts.transpileModule in the thread:
// loading the compiler there cost every build about a second of CPU, and a test run builds hundreds of packages.
// This answers transpileModule from a disk cache (keyed by TypeScript's version, the options, the file name and the
// source, so the output is the compiler's own) and loads the real compiler only on a miss. Plain JavaScript: the
// thread loads it with Node's require, before anything can compile TypeScript.
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

// Paths other than "typescript" itself, so jest's mapping does not send them back here.
const version = require("typescript/package.json").version;
let real;
const compiler = () => (real ??= require("typescript/lib/typescript.js"));

// Enum members stand for themselves ("CommonJS") until the real compiler needs their values.
const names = (kind) =>
  new Proxy({}, { get: (_, member) => (typeof member === "string" ? { kind, member } : undefined) });
const ModuleKind = names("ModuleKind");
const ScriptTarget = names("ScriptTarget");

function realOptions(options) {
  const ts = compiler();
  const out = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    const isName = value !== null && typeof value === "object" && "kind" in value && "member" in value;
    out[key] = isName ? ts[value.kind][value.member] : value;
  }
  return out;
}

const dir = join(tmpdir(), `p2s-jest-transpiled-${version}`);

function transpileModule(source, { compilerOptions, fileName, ...rest } = {}) {
  if (Object.keys(rest).length > 0)
    return compiler().transpileModule(source, { compilerOptions: realOptions(compilerOptions), fileName, ...rest });
  const key = createHash("sha256")
    .update(JSON.stringify([compilerOptions ?? {}, fileName ?? ""]))
    .update("\0")
    .update(source)
    .digest("hex");
  const file = join(dir, `${key}.js`);
  try {
    return { outputText: readFileSync(file, "utf8"), diagnostics: [] };
  } catch {
    const result = compiler().transpileModule(source, { compilerOptions: realOptions(compilerOptions), fileName });
    try {
      mkdirSync(dir, { recursive: true });
      // Whole or not at all: another thread may read the file the moment it has its name.
      const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(temporary, result.outputText);
      renameSync(temporary, file);
    } catch {
      // No cache (a read-only temp folder): the output is still the compiler's.
    }
    return result;
  }
}

// Anything else is the real compiler's.
module.exports = new Proxy(
  { ModuleKind, ScriptTarget, transpileModule, version },
  { get: (own, name) => (name in own ? own[name] : compiler()[name]) },
);
