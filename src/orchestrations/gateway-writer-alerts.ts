// The gateway writer's way out: warnings that never stop it, and the loud failure (critical alert, pass recorded).
import type * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import { run } from "../activities/define";
import { raiseAlert } from "../activities/alert";
import { rotationForCapacity } from "../activities/capacity-rotation";
import { recordGatewaySync } from "../activities/gateway-record-sync";
import { leftOffAlert } from "../domain/capacity-alert";
import type { LeftOffRevocation } from "../domain/gateway-config";
import { failureKey } from "./fail-loudly";

/** One raise of the writer, so an alert activity that is delivered twice alerts once (see failureKey). */
function raiseKey(context: OrchestrationContext, title: string): string {
  return `${failureKey(context.df.instanceId, context.df.currentUtcDateTime)}:${title}`;
}

/** Raises a warning; one that cannot be sent is logged in the status, never a reason for the writer to stop. */
export function* warn(
  context: OrchestrationContext,
  retry: df.RetryOptions,
  gatewayId: string,
  alert: { readonly title: string; readonly detail: string },
): Generator<Task, void, unknown> {
  try {
    yield* run(
      raiseAlert,
      { severity: "warning", ...alert, subject: gatewayId, key: raiseKey(context, alert.title) },
      retry,
    );
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    context.df.setCustomStatus({ gateway: nameOf(gatewayId), state: "warning not sent", detail: why });
  }
}

/**
 * Raises a critical alert naming the cause, records the failed pass for the API, and fails the instance. Each step is
 * attempted even when the other fails (an unreachable table must not silence the alert, nor the reverse).
 */
export function* failLoudly(
  context: OrchestrationContext,
  retry: df.RetryOptions,
  gatewayId: string,
  passId: string,
  outcome: string,
  detail: string,
): Generator<Task, never, unknown> {
  const gatewayName = nameOf(gatewayId);
  const title = `Gateway ${gatewayName}: revocations cannot be applied`;
  const problems: string[] = [];
  try {
    yield* run(
      raiseAlert,
      {
        severity: "critical",
        title,
        detail,
        subject: gatewayId,
        key: raiseKey(context, title),
      },
      retry,
    );
  } catch (error) {
    problems.push(`the alert could not be sent: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    yield* run(recordGatewaySync, { gatewayId, passId, outcome, detail, revokedCount: -1, rootCount: -1 }, retry);
  } catch (error) {
    problems.push(`the pass could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
  }
  context.df.setCustomStatus({ gateway: gatewayName, state: "failed", outcome });
  throw new Error([`gateway ${gatewayName}: ${detail}`, ...problems].join("; "));
}

/**
 * Revocations were left off the gateway for want of room: with ROOT_ROTATION_AUTO a rotation starts (or the running
 * one is joined), and a critical alert names what was left off and the rotation that clears it, once per distinct
 * left-off set (its key). Never a reason for the writer to stop: a failure shows in the status only.
 */
export function* alertLeftOff(
  context: OrchestrationContext,
  retry: df.RetryOptions,
  gatewayId: string,
  leftOff: readonly LeftOffRevocation[],
  users: Readonly<Record<string, string>>,
): Generator<Task, void, unknown> {
  const gatewayName = nameOf(gatewayId);
  try {
    const reason = `gateway ${gatewayName} has no room for ${leftOff.length} revocations`;
    const now = context.df.currentUtcDateTime.toISOString();
    const rotation = yield* run(rotationForCapacity, { reason, now }, retry);
    yield* run(raiseAlert, leftOffAlert({ gatewayId, gatewayName, leftOff, users, rotation }), retry);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    context.df.setCustomStatus({ gateway: gatewayName, state: "capacity alert not sent", detail: why });
  }
}

export function nameOf(gatewayId: string): string {
  return gatewayId.split("/").pop() ?? gatewayId;
}
