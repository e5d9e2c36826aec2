// Bicep syntax trees without a Bicep CLI: tree-sitter-bicep's wasm grammar under web-tree-sitter. The grammar has no
// field names on object properties (key = first named child) and parses neither spread nor `extension`.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Language, Parser, type Node, type Tree } from "web-tree-sitter";

export const repoRoot = join(__dirname, "..", "..", "..");
export const infraDir = join(repoRoot, "infra");

let parser: Promise<Parser> | undefined;

function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    // Bytes, not a path: with a path the library imports node:fs dynamically, which jest's CommonJS runtime refuses.
    const language = await Language.load(readFileSync(require.resolve("tree-sitter-bicep/tree-sitter-bicep.wasm")));
    const p = new Parser();
    p.setLanguage(language);
    return p;
  })();
  return parser;
}

export interface Template {
  readonly file: string;
  readonly tree: Tree;
}

export async function parseBicep(file: string, text: string): Promise<Template> {
  const tree = (await bicepParser()).parse(text);
  if (tree === null) throw new Error(`${file}: the parser returned no tree`);
  return { file, tree };
}

/** Every .bicep file under infra/, by path relative to the repository. */
export function bicepFiles(dir = infraDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? bicepFiles(join(dir, e.name)) : e.name.endsWith(".bicep") ? [join(dir, e.name)] : [],
  );
}

export async function parseInfra(): Promise<Template[]> {
  return Promise.all(bicepFiles().map((f) => parseBicep(relative(repoRoot, f), readFileSync(f, "utf8"))));
}

/** "line:column type: text" of every ERROR or missing node. */
export function syntaxErrors(tree: Tree): string[] {
  const found: string[] = [];
  const visit = (n: Node): void => {
    if (n.type === "ERROR" || n.isMissing) {
      found.push(`${n.startPosition.row + 1}:${n.startPosition.column + 1} ${n.type}: ${n.text.slice(0, 60)}`);
    }
    for (const c of n.children) visit(c);
  };
  visit(tree.rootNode);
  return found;
}

/** The key of an object_property: an identifier or a plain string. */
export function propertyKey(property: Node): string | undefined {
  const key = property.namedChild(0);
  if (key === null) return undefined;
  return key.type === "string" ? stringText(key) : key.text;
}

/** The value node of `key` in an object node. */
export function propertyValue(object: Node, key: string): Node | undefined {
  for (const p of object.namedChildren) {
    if (p.type === "object_property" && propertyKey(p) === key) return p.namedChild(1) ?? undefined;
  }
  return undefined;
}

/** The content of a string literal without interpolation; undefined otherwise. */
export function stringText(node: Node): string | undefined {
  if (node.type !== "string") return undefined;
  if (node.namedChildren.some((c) => c.type === "interpolation")) return undefined;
  return node.namedChildren.map((c) => c.text).join("");
}

export interface Declaration {
  readonly kind: "resource" | "module" | "variable" | "parameter";
  readonly symbol: string;
  /** Resource type with API version, or module path. */
  readonly target: string;
  readonly existing: boolean;
  readonly node: Node;
  /** The declared value (expression, object, loop...). */
  readonly value: Node | undefined;
  /** The declared object (for a loop or a condition, its body). */
  readonly body: Node | undefined;
}

const KINDS: Readonly<Record<string, Declaration["kind"]>> = {
  resource_declaration: "resource",
  module_declaration: "module",
  variable_declaration: "variable",
  parameter_declaration: "parameter",
};

export function declarations(template: Template): Declaration[] {
  const out: Declaration[] = [];
  for (const node of template.tree.rootNode.namedChildren) {
    const kind = KINDS[node.type];
    if (kind === undefined) continue;
    const named = node.namedChildren.filter((c) => c.type !== "comment");
    const target = named[1]?.type === "string" ? (stringText(named[1]) ?? named[1].text) : "";
    const value = named[named.length - 1];
    out.push({
      kind,
      symbol: named[0]?.text ?? "",
      target,
      existing: kind === "resource" && node.children.some((c) => c.type === "existing"),
      node,
      value,
      body: value === undefined ? undefined : bodyOf(value),
    });
  }
  return out;
}

/** The object of a declaration's value: itself, a loop's body, or a condition's body. */
function bodyOf(value: Node): Node | undefined {
  if (value.type === "object") return value;
  for (const c of value.namedChildren) {
    const inner = bodyOf(c);
    if (inner !== undefined && (value.type === "array" || value.type.includes("for") || value.type.includes("if"))) {
      return inner;
    }
  }
  return undefined;
}

/** All nodes of a type under a node (the node itself included). */
export function descendants(node: Node, type: string): Node[] {
  return node.descendantsOfType(type);
}
