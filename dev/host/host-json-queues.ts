// extensions.queues of host.json as the Storage queues extension (5.x) reads it, with app settings named
// AzureFunctionsJobHost__extensions__queues__<name> taking precedence. Durations are TimeSpans ("00:00:30").
export interface QueuesSettings {
  /** Messages fetched per poll (1..32, default 16). */
  readonly batchSize: number;
  /** A new batch is fetched once this few messages are still running (default batchSize / 2). */
  readonly newBatchThreshold: number;
  /** Dequeues before a failing message moves to <queue>-poison (default 5). */
  readonly maxDequeueCount: number;
  /** How long a message that failed stays invisible before its next try (default 0). */
  readonly visibilityTimeoutMs: number;
  /**
   * The longest wait between polls of an empty queue (they back off from 100 ms). The extension's default is 1 minute,
   * and 2 seconds when the host runs in the Development environment, as Core Tools (and this dev host) does.
   */
  readonly maxPollingIntervalMs: number;
  /** "base64" (default): message text is base64 on the wire; "none": plain text. */
  readonly messageEncoding: "base64" | "none";
}

const OVERRIDE_PREFIX = "AzureFunctionsJobHost__extensions__queues__";
const DEV_MAX_POLLING_MS = 2_000;
const MIN_POLLING_MS = 100;

export function queuesSettings(
  queues: unknown,
  appSettings: Readonly<Record<string, string | undefined>>,
  source = "host.json",
): QueuesSettings {
  const raw = (name: string): unknown => appSettings[`${OVERRIDE_PREFIX}${name}`] ?? property(queues, name);
  const fail = (name: string, rule: string): never => {
    throw new Error(`${source}: extensions.queues.${name} ${rule}`);
  };
  const integer = (name: string, min: number, max: number, fallback: number): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      return fail(name, `must be an integer from ${min} to ${max}`);
    }
    return n;
  };
  const duration = (name: string, fallback: number): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const ms = typeof value === "string" ? timeSpanMs(value) : undefined;
    return ms ?? fail(name, `must be a TimeSpan such as "00:00:30"`);
  };
  const batchSize = integer("batchSize", 1, 32, 16);
  const maxPollingIntervalMs = duration("maxPollingInterval", DEV_MAX_POLLING_MS);
  if (maxPollingIntervalMs < MIN_POLLING_MS) fail("maxPollingInterval", "must be at least 00:00:00.1");
  const encodingValue = raw("messageEncoding") ?? "base64";
  const encoding = typeof encodingValue === "string" ? encodingValue.toLowerCase() : "";
  if (encoding !== "base64" && encoding !== "none") fail("messageEncoding", 'must be "base64" or "none"');
  return {
    batchSize,
    newBatchThreshold: integer("newBatchThreshold", 0, 1_000, Math.floor(batchSize / 2)),
    maxDequeueCount: integer("maxDequeueCount", 1, 1_000, 5),
    visibilityTimeoutMs: duration("visibilityTimeout", 0),
    maxPollingIntervalMs,
    messageEncoding: encoding === "none" ? "none" : "base64",
  };
}

/** [d.]hh:mm:ss[.fffffff] as .NET parses a TimeSpan; undefined when it is not one. */
export function timeSpanMs(text: string): number | undefined {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (m === null) return undefined;
  const [, days, hours, minutes, seconds, fraction] = m;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return undefined;
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;
  return (
    ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + fractionMs
  );
}

/** One property of a JSON object, matched case-insensitively as the host's configuration does. */
export function property(value: unknown, name: string): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, child] of Object.entries(value)) if (key.toLowerCase() === wanted) return child;
  return undefined;
}
