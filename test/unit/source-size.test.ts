// Review rule: no file in src/ over 400 lines, so each file holds one responsibility a reader can take in.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(__dirname, "..", "..");
const LIMIT = 400;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

it(`keeps every file in src/ at or under ${LIMIT} lines`, () => {
  const over = sourceFiles(join(ROOT, "src"))
    .map((path) => ({ file: relative(ROOT, path).split("\\").join("/"), lines: lineCount(path) }))
    .filter(({ lines }) => lines > LIMIT);
  expect(over).toEqual([]);
});

function lineCount(path: string): number {
  const text = readFileSync(path, "utf8");
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}
