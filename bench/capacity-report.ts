// How bench:capacity prints its figures.
import type { ReadFigures } from "./capacity-ledger";
import type { SimFigures } from "./capacity-sim";

function row(cells: readonly string[]): string {
  const widths = [56, 10, 12, 9, 11, 10, 9, 7, 12];
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" ");
}

export interface LabelledRun {
  readonly label: string;
  readonly store: "ledger" | "memory";
  readonly figures: SimFigures;
}

export function runTable(runs: readonly LabelledRun[]): string[] {
  return [
    row(["run", "peak list", "peak wanted", "left off", "user-days", "rotations", "cut off", "writes", "revocations"]),
    ...runs.map(({ label, store, figures: f }) =>
      row([
        `${label}${store === "memory" ? " [in memory]" : ""}`,
        String(f.peakList),
        String(f.peakDesired),
        String(f.leftOffEver),
        String(f.exposureUserDays),
        String(f.rotations.capacity + f.rotations.schedule),
        String(f.cutOff),
        String(f.gatewayWrites),
        String(f.revocations),
      ]),
    ),
  ];
}

export function eventLine(label: string, f: SimFigures): string {
  return (
    `${label}: ${String(f.days)} days, ${String(f.leavers)} leavers, ${String(f.hires)} hires (${String(f.rehires)} rehires), ` +
    `${String(f.lostDevices)} lost devices, ${String(f.renewals)} renewals, ${String(f.reissues)} rotation reissues; ` +
    `rotations ${String(f.rotations.capacity)} by capacity, ${String(f.rotations.schedule)} by schedule` +
    (f.rotationDays.length > 0 ? ` (first on day ${String(f.rotationDays[0])})` : "") +
    `; old roots retired ${String(f.retirements.collected)} once all collected, ${String(f.retirements.capacity)} at the ` +
    `revocation mark, ${String(f.retirements.grace)} at the grace's end; ${String(f.cutOff)} users had not collected ` +
    `when their old root retired (${String(f.cutOffEarly)} of them at the mark, before the grace's end)` +
    `; headcount at the end ${String(f.endHeadcount)}; writer reads ${String(f.rowsRead)} rows in all, ` +
    `at most ${String(f.maxRowsRead)} a pass, ${(f.readMs / f.days).toFixed(1)} ms a pass on average`
  );
}

export function ledgerLines(rows: number, revoked: number, index: ReadFigures, naive: ReadFigures): string[] {
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  return [
    `ledger at scale: ${String(rows)} certificate rows (${String(revoked)} revoked), one writer pass's read (median):`,
    `  revocation index: ${String(index.rowsRead)} rows read, ${ms(index.medianMs)}, ${String(index.entries)} revocations`,
    `  naive scan (listByStatus revoked): ${String(naive.rowsRead)} rows read (every row of the table), ${String(revoked)} returned, ${ms(naive.medianMs)}, ${String(naive.entries)} revocations`,
    `  ratio naive/index: ${(naive.rowsRead / Math.max(1, index.rowsRead)).toFixed(0)}× rows, ${(naive.medianMs / Math.max(0.001, index.medianMs)).toFixed(0)}× time`,
  ];
}
