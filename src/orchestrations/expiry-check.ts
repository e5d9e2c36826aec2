// expiryCheck: once a day (the timer), at one instant (the orchestration's clock): mark expired ledger entries, alert
// on roots and client certificates at their tightest crossed threshold, renew certificates inside the renewal window
// and alert on gateways whose revocation list is near full. Every alert has a key, so a re-run raises nothing twice;
// every renewal is keyed on the old thumbprint, so a re-run starts nothing twice.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { run } from "../activities/define";
import { raiseAlert } from "../activities/alert";
import type { Alert } from "../clients/alerts";
import type { GatewayCapacity } from "../clients/expiry-scan";
import { collectExpiry, expireCertificates, trackRevocationCapacity } from "../activities/expiry";
import { startRenewal } from "../activities/renewal";
import { startScheduledRotation } from "../activities/root-rotation-schedule";
import { rotationForCapacity } from "../activities/capacity-rotation";
import { describeRotation } from "../domain/capacity-alert";
import type { CapacityRotation } from "../domain/capacity-alert";
import { describeForecast } from "../domain/revocation-capacity";
import { describeFailure } from "./fail-loudly";

// The timer is expiryCheck; function names are one namespace (case-insensitive) in the Functions host.
export const EXPIRY_CHECK_ORCHESTRATION = "expiryCheckRun";

const retry = new df.RetryOptions(5000, 5);
retry.backoffCoefficient = 2;
retry.maxRetryIntervalInMilliseconds = 5 * 60_000;

export interface ExpiryCheckResult {
  readonly at: string;
  readonly expired: number;
  readonly alerts: number;
  readonly renewals: readonly { readonly thumbprint: string; readonly requestId: string }[];
  readonly failures: readonly string[];
  /** The root rotation the schedule started (or joined) this run: the current root is near its expiry. */
  readonly rotation?: string;
}

export const expiryCheck: OrchestrationHandler = function* (context: OrchestrationContext) {
  const now = context.df.currentUtcDateTime.toISOString();
  context.df.setCustomStatus("expiring");
  const expired = yield* run(expireCertificates, { now }, retry);
  context.df.setCustomStatus("scanning");
  const scan = yield* run(collectExpiry, { now }, retry);
  const failures: string[] = [];
  let alerts = 0;

  // One failure (a webhook down) must not stop the rest; the failures are named in the output and alerted at the end.
  function* attempt(what: string, step: () => Generator<df.Task, void, unknown>): Generator<df.Task, void, unknown> {
    try {
      yield* step();
    } catch (error) {
      failures.push(`${what}: ${describeFailure(error)}`);
    }
  }
  function* alert(a: Alert): Generator<df.Task, void, unknown> {
    const outcome = yield* run(raiseAlert, a, retry);
    if (outcome !== "duplicate") alerts++;
  }

  context.df.setCustomStatus("alerting");
  for (const a of scan.alerts) yield* attempt(`alert ${a.key}`, () => alert(a));
  for (const c of scan.capacity) {
    yield* attempt(`capacity of ${c.name}`, function* () {
      const crossing = yield* run(trackRevocationCapacity, { gatewayId: c.gatewayId, above: c.above }, retry);
      if (!c.above) return;
      // The capacity policy: with ROOT_ROTATION_AUTO a rotation starts (or the running one is joined); the alert
      // names it, or says how to start one.
      const reason = `gateway ${c.name}: the revocation list is ${c.forecast.percent} % full`;
      const rotation = yield* run(rotationForCapacity, { reason, now }, retry);
      yield* alert(capacityAlert(c, crossing, rotation));
    });
  }

  context.df.setCustomStatus("renewing");
  const renewals: { thumbprint: string; requestId: string }[] = [];
  for (const candidate of scan.renewals) {
    yield* attempt(`renewal of ${candidate.thumbprint}`, function* () {
      const started = yield* run(startRenewal, { ...candidate, now }, retry);
      renewals.push({ thumbprint: candidate.thumbprint, requestId: started.requestId });
    });
  }

  // A root near its expiry is rotated (ROOT_ROTATION_BEFORE_EXPIRY_DAYS), once per root.
  let rotation: string | undefined;
  yield* attempt("scheduled root rotation", function* () {
    const scheduled = yield* run(startScheduledRotation, { now }, retry);
    if (scheduled.due) rotation = scheduled.requestId;
  });

  const problems = [...scan.problems, ...failures];
  if (problems.length > 0) {
    yield* attempt("problems alert", () =>
      alert({
        // Once per run (its instant), however often the step is retried.
        key: `expiry-problems:${now}`,
        severity: "warning",
        kind: "expiry",
        title: "The expiry check could not judge everything",
        detail: problems.join("; "),
        subject: "expiryCheck",
      }),
    );
  }
  context.df.setCustomStatus("done");
  const result: ExpiryCheckResult = {
    at: now,
    expired,
    alerts,
    renewals,
    failures,
    ...(rotation === undefined ? {} : { rotation }),
  };
  return result;
};

/**
 * Once per gateway per crossing of the line: the crossing number is in the key. Critical: past 300 entries the
 * revocations that expire soonest are left off the gateway, and only a root rotation makes room.
 */
export function capacityAlert(c: GatewayCapacity, crossing: number, rotation?: CapacityRotation): Alert {
  const f = c.forecast;
  const policy =
    rotation === undefined
      ? "start a root rotation (POST /api/v1/roots/rotations) or set ROOT_ROTATION_AUTO=true"
      : describeRotation(rotation, "the old root's entries");
  return {
    key: `capacity:${c.gatewayId.toLowerCase()}:${crossing}`,
    severity: "critical",
    kind: "capacity",
    title: `Gateway ${c.name}: the revocation list is ${f.percent} % full`,
    detail: `${f.used} of ${f.capacity} revocation entries are used; ${describeForecast(f)}. Past ${f.capacity} the writer leaves off the revocations that expire soonest (their certificates can still connect) until a root rotation retires their root: ${policy}.`,
    subject: c.gatewayId,
    details: {
      used: f.used,
      capacity: f.capacity,
      percent: f.percent,
      ratePerDay: f.ratePerDay,
      daysUntilFull: f.daysUntilFull ?? -1,
      crossing,
      rotation: rotation?.state ?? "",
      rotationRequestId: rotation?.requestId ?? "",
    },
  };
}

df.app.orchestration(EXPIRY_CHECK_ORCHESTRATION, expiryCheck);
