// HTTP route templates as the Functions host (ASP.NET Core routing) reads them: literal segments (case-insensitive),
// {name}, {name?}, {name=default}, constraints {name:int}, {name:alpha}, {name:guid}... chained with ':', and a final
// catch-all {*rest}. Only whole-segment parameters are supported; anything else fails at startup rather than
// silently matching differently from Azure.

type Constraint = (value: string) => boolean;

type Segment =
  | { readonly kind: "literal"; readonly text: string }
  | {
      readonly kind: "param";
      readonly name: string;
      readonly optional: boolean;
      readonly defaultValue?: string;
      readonly constraints: readonly Constraint[];
    }
  | { readonly kind: "catchAll"; readonly name: string; readonly constraints: readonly Constraint[] };

export interface RouteTemplate {
  readonly template: string;
  /** Lower sorts first when several templates match one path (literal > constrained > plain > optional > catch-all). */
  readonly precedence: readonly number[];
  /** The route values when `pathSegments` (already split and decoded) match, else undefined. */
  match(pathSegments: readonly string[]): Record<string, string> | undefined;
}

export class RouteTemplateError extends Error {
  override readonly name = "RouteTemplateError";
}

export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^[~/]+/, "").replace(/\/+$/, "");
  const segments = trimmed === "" ? [] : trimmed.split("/").map((text) => parseSegment(template, text));
  segments.forEach((segment, index) => {
    if (segment.kind === "catchAll" && index !== segments.length - 1) {
      throw new RouteTemplateError(`route "${template}": a catch-all parameter must be the last segment`);
    }
    const following = segments.slice(index + 1);
    if (segment.kind === "param" && segment.optional && following.some((next) => next.kind === "literal")) {
      throw new RouteTemplateError(`route "${template}": an optional parameter must not precede a literal segment`);
    }
  });
  const names = segments.flatMap((segment) => (segment.kind === "literal" ? [] : [segment.name.toLowerCase()]));
  if (new Set(names).size !== names.length) {
    throw new RouteTemplateError(`route "${template}": a parameter name appears twice`);
  }
  return {
    template,
    precedence: segments.map(segmentPrecedence),
    match: (pathSegments) => matchSegments(segments, pathSegments),
  };
}

/** Splits a URL path (after the route prefix) into decoded segments, ignoring one trailing slash. */
export function splitPath(pathname: string): string[] | undefined {
  const trimmed = pathname.replace(/^\/+/, "").replace(/\/$/, "");
  if (trimmed === "") return [];
  try {
    return trimmed.split("/").map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

/** Negative when `a` should win over `b`. */
export function comparePrecedence(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 5) - (b[index] ?? 5);
    if (difference !== 0) return difference;
  }
  return 0;
}

function segmentPrecedence(segment: Segment): number {
  if (segment.kind === "literal") return 0;
  if (segment.kind === "catchAll") return 4;
  if (segment.optional || segment.defaultValue !== undefined) return 3;
  return segment.constraints.length > 0 ? 1 : 2;
}

function matchSegments(segments: readonly Segment[], path: readonly string[]): Record<string, string> | undefined {
  const values: Record<string, string> = {};
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    if (segment === undefined) return undefined;
    if (segment.kind === "catchAll") {
      const rest = path.slice(index).join("/");
      if (rest !== "" && !segment.constraints.every((check) => check(rest))) return undefined;
      if (rest !== "") values[segment.name] = rest;
      return values;
    }
    const text = path[index];
    if (text === undefined || text === "") {
      if (segment.kind === "literal" || !(segment.optional || segment.defaultValue !== undefined)) return undefined;
      if (segment.defaultValue !== undefined) values[segment.name] = segment.defaultValue;
      continue;
    }
    if (segment.kind === "literal") {
      if (text.toLowerCase() !== segment.text.toLowerCase()) return undefined;
      continue;
    }
    if (!segment.constraints.every((check) => check(text))) return undefined;
    values[segment.name] = text;
  }
  return path.length > segments.length ? undefined : values;
}

function parseSegment(template: string, text: string): Segment {
  if (!text.includes("{") && !text.includes("}")) {
    if (text === "") throw new RouteTemplateError(`route "${template}": empty segment`);
    return { kind: "literal", text };
  }
  const parsed = /^\{(\*{1,2})?([A-Za-z_][A-Za-z0-9_]*)((?::[^:=?}]+(?:\([^)]*\))?)*)(\?)?(?:=([^}]*))?\}$/.exec(text);
  if (parsed === null) {
    throw new RouteTemplateError(`route "${template}": unsupported segment "${text}" (only whole-segment parameters)`);
  }
  const [, star, name = "", constraintText = "", optional, defaultValue] = parsed;
  const constraints = [...constraintText.matchAll(/:([a-zA-Z]+)(?:\(([^)]*)\))?/g)].map(
    ([, constraintName = "", args]) => buildConstraint(template, constraintName, args),
  );
  if (star !== undefined) return { kind: "catchAll", name, constraints };
  return {
    kind: "param",
    name,
    optional: optional !== undefined,
    constraints,
    ...(defaultValue === undefined ? {} : { defaultValue }),
  };
}

const INT = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const GUID = /^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/;

function buildConstraint(template: string, name: string, args: string | undefined): Constraint {
  const numbers = (args ?? "").split(",").map((arg) => Number(arg.trim()));
  const [first = Number.NaN, second = Number.NaN] = numbers;
  const needArgs = (count: number): void => {
    if (args === undefined || numbers.length !== count || numbers.some((value) => Number.isNaN(value))) {
      throw new RouteTemplateError(`route "${template}": constraint "${name}" needs ${count} numeric argument(s)`);
    }
  };
  switch (name.toLowerCase()) {
    case "int":
      return (value) => INT.test(value) && Number(value) >= -2_147_483_648 && Number(value) <= 2_147_483_647;
    case "long":
      return (value) => INT.test(value);
    case "bool":
      return (value) => /^(true|false)$/i.test(value);
    case "alpha":
      return (value) => /^[A-Za-z]+$/.test(value);
    case "guid":
      return (value) => GUID.test(value);
    case "double":
    case "float":
    case "decimal":
      return (value) => DECIMAL.test(value);
    case "datetime":
      return (value) => !Number.isNaN(Date.parse(value));
    case "min":
      needArgs(1);
      return (value) => INT.test(value) && Number(value) >= first;
    case "max":
      needArgs(1);
      return (value) => INT.test(value) && Number(value) <= first;
    case "range":
      needArgs(2);
      return (value) => INT.test(value) && Number(value) >= first && Number(value) <= second;
    case "minlength":
      needArgs(1);
      return (value) => value.length >= first;
    case "maxlength":
      needArgs(1);
      return (value) => value.length <= first;
    case "length":
      if (numbers.length === 2) {
        needArgs(2);
        return (value) => value.length >= first && value.length <= second;
      }
      needArgs(1);
      return (value) => value.length === first;
    default:
      throw new RouteTemplateError(`route "${template}": unsupported route constraint "${name}"`);
  }
}
