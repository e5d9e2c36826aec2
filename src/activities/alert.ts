// Activity: raises an operator alert once per key (src/clients/alert-raise.ts): recorded, logged, audited, sent.
import { defineActivity } from "./define";
import { services } from "./services";
import { AlertTable } from "../clients/alert-table";
import { raiseAlertOnce } from "../clients/alert-raise";
import type { RaiseOutcome } from "../clients/alert-raise";
import type { Alert } from "../clients/alerts";
import type { Config } from "../config";

let cached: { config: Config; table: AlertTable } | undefined;

/** The alerts table of the current configuration, built once per process. */
export function alertTable(): AlertTable {
  const { config } = services();
  if (cached?.config !== config) cached = { config, table: AlertTable.fromConfig(config) };
  return cached.table;
}

/** Raises the alert now (outside an orchestration: timers, HTTP handlers). */
export function raiseAlertNow(
  alert: Alert,
  log: { warn(line: string): void; error(line: string): void },
): Promise<RaiseOutcome> {
  const { config, ledger } = services();
  return raiseAlertOnce(
    { config, alerts: alertTable(), appendAudit: (entry) => ledger.appendAudit(entry) },
    alert,
    new Date(),
    log,
  );
}

export const raiseAlert = defineActivity<Alert, RaiseOutcome>("raiseAlert", (alert, context) =>
  raiseAlertNow(alert, {
    warn: (line) => {
      context.warn(line);
    },
    error: (line) => {
      context.error(line);
    },
  }),
);
