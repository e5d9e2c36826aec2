// When an invariant fails, the story of each user it names: every orchestration whose id or input mentions the user,
// with its status and a line per history event (time, kind, task and a short input or result), and the run's log lines
// about the user. History holds no secrets by design (the secret scan checks it), so the text is safe to print.
import type { LocalDurableBackend } from "../../dev/durable";
import { EventType } from "../../dev/durable/protocol";
import type { InvariantResult } from "./invariants";

const EVENT_NAMES = new Map<number, string>(Object.entries(EventType).map(([name, value]) => [value, name]));
const SHOWN = 180;

const short = (value: unknown): string => {
  const text = typeof value === "string" ? value : ((JSON.stringify(value) as string | undefined) ?? "");
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text;
};

/** The users, certificates and thumbprints the violations name. */
export function namedInViolations(invariants: readonly InvariantResult[]): string[] {
  const names = new Set<string>();
  for (const result of invariants)
    for (const violation of result.violations)
      for (const m of violation.matchAll(/chaos-[\w-]+@contoso\.com|p2s-[a-z]+-[0-9a-f]{32}|\b[0-9A-F]{40}\b/g))
        names.add(m[0]);
  return [...names].sort();
}

export function diagnose(
  durable: Pick<LocalDurableBackend, "instanceIds" | "inspect">,
  invariants: readonly InvariantResult[],
  logs: readonly string[],
): string {
  const lines: string[] = [];
  const names = namedInViolations(invariants);
  const upns = names.filter((name) => name.includes("@"));
  for (const upn of upns) {
    // The certificates and thumbprints named with this user: the gateway writers' histories name only those.
    const related = [
      upn,
      ...names.filter(
        (n) => !n.includes("@") && invariants.some((r) => r.violations.some((v) => v.includes(upn) && v.includes(n))),
      ),
    ];
    lines.push(`${related.join(" ")}:`);
    for (const id of durable.instanceIds()) {
      const instance = durable.inspect(id);
      if (instance === undefined) continue;
      const text = `${id} ${JSON.stringify(instance.input ?? null)} ${JSON.stringify(instance.history)}`;
      if (!related.some((name) => text.includes(name))) continue;
      lines.push(
        `  ${instance.name} ${id} ${instance.runtimeStatus} created ${new Date(instance.createdAtMs).toISOString()} status ${short(instance.customStatus)}`,
      );
      for (const event of instance.history) {
        const kind = EVENT_NAMES.get(event.EventType) ?? String(event.EventType);
        if (kind === "OrchestratorStarted" || kind === "OrchestratorCompleted") continue;
        const detail = [event.Name, event.Input, event.Result, event.Reason, event.Details]
          .filter((v) => v !== undefined && v !== null)
          .map(short)
          .join(" ");
        lines.push(`    ${event.Timestamp} ${String(event.EventId)} ${kind} ${detail}`);
      }
    }
    const mentions = logs.filter((line) => line.includes(upn));
    lines.push(
      `  log lines naming the user: ${String(mentions.length)}`,
      ...mentions.slice(-40).map((l) => `    ${short(l)}`),
    );
  }
  return lines.join("\n");
}
