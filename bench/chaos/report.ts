// The chaos run's report as text: the run, the ways in, the faults injected per kind, how the requests ended, and each
// invariant with what it checked and what it found.
import type { ChaosReport } from "./run";

const MAX_LISTED = 15;

export function formatReport(report: ChaosReport): string {
  const lines: string[] = [
    "",
    `chaos — seed ${String(report.seed)}, ${String(report.requests)} requests over ${String(report.users)} users, ${(report.durationMs / 1000).toFixed(0)} s`,
    "",
    "ways in (sent / accepted / refused at the edge / not seen through in time):",
    ...Object.entries(report.ways)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([name, w]) =>
          `  ${name.padEnd(24)} ${String(w.sent).padStart(4)} ${String(w.accepted).padStart(4)} ${String(w.refused).padStart(4)} ${String(w.unsettled).padStart(4)}`,
      ),
  ];
  const refusals = Object.entries(report.refusals).sort(([, a], [, b]) => b - a);
  if (refusals.length > 0) {
    lines.push(
      "refusals:",
      ...refusals.slice(0, MAX_LISTED).map(([reason, n]) => `  ${String(n).padStart(4)} ${reason}`),
    );
  }
  lines.push(
    "faults injected:",
    ...Object.entries(report.faults).map(([kind, n]) => `  ${kind.padEnd(52)} ${String(n).padStart(5)}`),
    `  total ${String(Object.values(report.faults).reduce((a, b) => a + b, 0))}`,
    "requests ended (durable instances serving a request):",
    ...Object.entries(report.requestEnds)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, n]) => `  ${kind.padEnd(40)} ${String(n).padStart(5)}`),
    `deliveries whose one-time credential or link was lost with its answer: ${String(report.undeliverable)}`,
    "invariants:",
  );
  for (const result of report.invariants) {
    const verdict = result.violations.length === 0 ? "ok  " : "FAIL";
    lines.push(
      `  ${verdict} ${result.name.padEnd(40)} checked ${String(result.checked).padStart(5)}, violations ${String(result.violations.length)}`,
    );
    for (const violation of result.violations.slice(0, MAX_LISTED)) lines.push(`         ${violation}`);
    if (result.violations.length > MAX_LISTED)
      lines.push(`         … ${String(result.violations.length - MAX_LISTED)} more`);
  }
  if (report.diagnosis !== undefined) lines.push("what the failing invariants' users went through:", report.diagnosis);
  lines.push(report.passed ? "chaos: every invariant holds" : "chaos: INVARIANTS FAILED", "");
  return lines.join("\n");
}
