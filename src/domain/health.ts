// Runs health probes side by side, each under a time limit, and folds them into one report.
export interface HealthCheck {
  readonly name: string;
  /** Resolves with a short detail when healthy; rejects with the reason when not. */
  readonly probe: (abortSignal: AbortSignal) => Promise<string>;
}

export interface CheckResult {
  readonly name: string;
  readonly status: "pass" | "fail";
  readonly detail: string;
  readonly durationMs: number;
}

export interface HealthReport {
  readonly status: "healthy" | "unhealthy";
  readonly version: string;
  readonly checks: readonly CheckResult[];
  /** Names of the failing checks, so a 503 says what failed without reading every entry. */
  readonly failing: readonly string[];
}

export async function runHealthChecks(
  checks: readonly HealthCheck[],
  version: string,
  timeoutMs: number,
): Promise<HealthReport> {
  const results = await Promise.all(checks.map((check) => runOne(check, timeoutMs)));
  const failing = results.filter((r) => r.status === "fail").map((r) => r.name);
  return { status: failing.length === 0 ? "healthy" : "unhealthy", version, checks: results, failing };
}

async function runOne(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const detail = await Promise.race([check.probe(controller.signal), timeout]);
    return { name: check.name, status: "pass", detail, durationMs: elapsed(started) };
  } catch (error) {
    return {
      name: check.name,
      status: "fail",
      detail: error instanceof Error ? error.message : String(error),
      durationMs: elapsed(started),
    };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
