// The app's version, from package.json (found by walking up: the file runs from src/ under ts-jest and dist/src/ when built).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

function findVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "p2s-lifecycle") return pkg.version ?? "unknown";
    }
    dir = dirname(dir);
  }
  return "unknown";
}

export const APP_VERSION = findVersion();
