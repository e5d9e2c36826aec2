// What a valid HR event does: nothing for a duplicate or a stale one (occurredAt decides), else the user's row is
// claimed and the event acts. A hire or rehire starts an onboard lifecycle request (and cancels a pending
// termination); a termination in effect an offboard request; a future-dated one starts or moves the user's
// termination wait (hrTermination), which runs offboardUser when the date comes; a rescinding event cancels that wait. Every step is idempotent and keyed by the event, so a retried message repeats none of them.
import type { DurableClient } from "durable-functions";
import type { Config } from "../config";
import { hrAction, hrRequestId, hrTerminationInstanceId, staleHrEvent } from "../domain/hr-events";
import type { HrEvent } from "../domain/hr-events";
import { writerInput } from "../domain/gateway-writer-input";
import { upnKey } from "../domain/upn";
import type { OffboardInput } from "../orchestrations/offboard-user";
import { HR_TERMINATION_EVENT, HR_TERMINATION_ORCHESTRATION } from "../orchestrations/hr-termination";
import type { HrTerminationChange, HrTerminationInput } from "../orchestrations/hr-termination";
import { instanceStatus } from "./durable-start";
import type { HrStateTable } from "./hr-state";
import type { Ledger } from "./ledger";
import { startLifecycleRequest } from "./lifecycle-start";
import { offboardingInstanceId } from "./offboarding-start";

/** The audit label of everything the HR queue does. */
export const HR_ACTOR = "hr:queue";

export interface HrDeps {
  readonly client: DurableClient;
  readonly ledger: Ledger;
  readonly hrState: HrStateTable;
  readonly config: Config;
  readonly nowMs: number;
}

export interface HrOutcome {
  readonly kind: "duplicate" | "stale" | "applied";
  readonly detail: string;
}

const WAITING = new Set(["Pending", "Running"]);

export async function applyHrEvent(deps: HrDeps, event: HrEvent): Promise<HrOutcome> {
  const { hrState } = deps;
  const handled = await hrState.handled(event.eventId);
  if (handled !== undefined) {
    return { kind: "duplicate", detail: `event ${event.eventId} was handled before (${handled}): nothing done` };
  }
  const userKey = upnKey(event.upn);
  const read = await hrState.userState(userKey);
  const stale = staleHrEvent(event, read.state);
  if (stale !== undefined) {
    await audit(deps, event, "hr.event.ignored", stale);
    await hrState.markHandled(event.eventId, { upn: userKey, type: event.type, outcome: "stale" });
    return { kind: "stale", detail: stale };
  }
  // Claimed first: if acting fails, the retry finds its own claim and acts again (every step is idempotent).
  let claimedAt = new Date(deps.nowMs);
  if (read.state?.eventId !== event.eventId) {
    const state = { eventId: event.eventId, type: event.type, occurredAt: event.occurredAt };
    await hrState.claim(userKey, state, read, claimedAt);
  } else if (read.claimedAt !== undefined) {
    claimedAt = new Date(read.claimedAt);
  }
  const detail = await act(deps, event);
  // Dated by the claim: a retry, or a duplicate message handled at the same time, writes the very same audit row
  // (same id and time, so the same row key), which the table takes once.
  await audit({ ...deps, nowMs: claimedAt.getTime() }, event, "hr.event.applied", detail);
  await hrState.markHandled(event.eventId, { upn: userKey, type: event.type, outcome: "applied" });
  return { kind: "applied", detail };
}

async function act(deps: HrDeps, event: HrEvent): Promise<string> {
  const action = hrAction(event, deps.nowMs);
  switch (action.kind) {
    case "onboard": {
      const cancelled = await cancelTermination(deps, event, `${event.type} ${event.eventId}`);
      return `${await startRequest(deps, event, "onboard")}${cancelled}`;
    }
    case "offboard": {
      const cancelled = await cancelTermination(deps, event, `termination ${event.eventId} took effect at once`);
      return `${await startRequest(deps, event, "offboard")}${cancelled}`;
    }
    case "offboard-later":
      return scheduleTermination(deps, event, action.effectiveAt);
    case "rescind": {
      const cancelled = await cancelTermination(deps, event, `termination rescinded by ${event.eventId}`);
      return cancelled === ""
        ? "no termination was pending: nothing to rescind (an offboarding already done needs a rehire)"
        : cancelled.replace(/^; /, "");
    }
  }
}

/** Starts the event's lifecycle request (h-tick's startLifecycleRequest, keyed by the event). */
async function startRequest(deps: HrDeps, event: HrEvent, action: "onboard" | "offboard"): Promise<string> {
  const started = await startLifecycleRequest(
    deps.client,
    {
      source: "hr",
      sourceKey: event.eventId,
      action,
      upn: event.upn,
      actor: HR_ACTOR,
      reason: `HR ${event.type} ${event.eventId}`,
    },
    new Date(deps.nowMs),
  );
  return `${action} request ${started.requestId} ${started.started ? "started" : "already started"}`;
}

function offboardInput(deps: HrDeps, event: HrEvent, effectiveAt: string): OffboardInput {
  const { config } = deps;
  return {
    request: {
      upn: event.upn,
      requestId: hrRequestId(event.eventId),
      reason: `HR termination ${event.eventId}`,
      source: "hr",
      sourceId: event.eventId,
      actor: HR_ACTOR,
      effectiveAt,
      gatewayIds: config.GATEWAY_RESOURCE_IDS,
    },
    writers: config.GATEWAY_RESOURCE_IDS.map((id) => writerInput(config, id)),
  };
}

/** Starts the user's termination wait, or moves the one already waiting to this event's date. */
async function scheduleTermination(deps: HrDeps, event: HrEvent, effectiveAt: string): Promise<string> {
  const instanceId = hrTerminationInstanceId(event.upn);
  const input: HrTerminationInput = {
    eventId: event.eventId,
    upn: event.upn,
    effectiveAt,
    offboard: offboardInput(deps, event, effectiveAt),
    offboardInstanceId: offboardingInstanceId(upnKey(event.upn), hrRequestId(event.eventId)),
  };
  const status = await instanceStatus(deps.client, instanceId);
  if (status !== undefined && WAITING.has(status)) {
    const change: HrTerminationChange = { kind: "reschedule", input };
    await deps.client.raiseEvent(instanceId, HR_TERMINATION_EVENT, change);
    return `termination wait ${instanceId} moved to ${effectiveAt}`;
  }
  // A finished wait (an earlier employment's) is replaced: host.json lets startNew override non-running instances.
  await deps.client.startNew(HR_TERMINATION_ORCHESTRATION, { instanceId, input });
  return `termination wait ${instanceId} started: offboarding at ${effectiveAt}`;
}

/** Cancels the user's termination wait if one is waiting; answers "; <what was done>" or "". */
async function cancelTermination(deps: HrDeps, event: HrEvent, reason: string): Promise<string> {
  const instanceId = hrTerminationInstanceId(event.upn);
  const status = await instanceStatus(deps.client, instanceId);
  if (status === undefined || !WAITING.has(status)) return "";
  const change: HrTerminationChange = { kind: "cancel", eventId: event.eventId, reason };
  await deps.client.raiseEvent(instanceId, HR_TERMINATION_EVENT, change);
  return `; pending termination ${instanceId} cancelled`;
}

function audit(deps: HrDeps, event: HrEvent, action: string, reason: string): Promise<void> {
  return deps.ledger.appendAudit({
    id: `hr:${event.eventId}:${action}`,
    at: new Date(deps.nowMs),
    actor: HR_ACTOR,
    action,
    subject: upnKey(event.upn),
    reason,
    source: "hr",
    requestId: hrRequestId(event.eventId),
    details: {
      eventId: event.eventId,
      type: event.type,
      occurredAt: event.occurredAt,
      ...(event.effectiveAt === undefined ? {} : { effectiveAt: event.effectiveAt }),
    },
  });
}
