// Runs a fuzz property and, when it fails, throws a short report: the seed and path that replay it
// (P2S_FUZZ_SEED, or fc's { seed, path }), the shrunk input with long strings cut down, and the failure.
import fc from "fast-check";

/** Long strings as "<n × c…>" and everything else as it is, so a report stays readable. */
export function compact(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(shorten(value, 0));
}

function shorten(value: unknown, depth: number): unknown {
  if (typeof value === "string") return value.length > 120 ? `${value.slice(0, 60)}…<${value.length} chars>` : value;
  if (value instanceof Uint8Array)
    return `<${value.length} bytes ${Buffer.from(value.subarray(0, 24)).toString("hex")}…>`;
  if (typeof value !== "object" || value === null) return value;
  if (depth > 8) return "<deeper>";
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => shorten(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [shorten(k, depth + 1), shorten(v, depth + 1)]));
}

export async function checkEdge<T>(
  name: string,
  property: fc.IAsyncPropertyWithHooks<[T]>,
  parameters: { readonly seed: number; readonly numRuns: number },
): Promise<void> {
  const details = await fc.check(property, { ...parameters, endOnFailure: false });
  if (!details.failed) return;
  const [input] = details.counterexample ?? [];
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `${name}: property failed after ${details.numRuns} runs (shrunk ${details.numShrinks} times)\n` +
      `replay: P2S_FUZZ_SEED=${details.seed} (fc: { seed: ${details.seed}, path: "${details.counterexamplePath ?? ""}" })\n` +
      `input: ${compact(input)}\n` +
      `failure: ${cause.slice(0, 4000)}`,
  );
}
