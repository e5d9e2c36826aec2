// Activity: one pass of the single writer. Re-reads the gateway, plans, writes everything pending in ONE PUT
// (If-Match on the read's ETag), then re-reads to verify. Safe to repeat: a pass on a synced gateway writes nothing.
import { defineActivity } from "./define";
import { services } from "./services";
import { GatewayError, parseGatewayId } from "../clients/gateway";
import { GatewayCapacityError, planSync, satisfies } from "../domain/gateway-config";
import type { DesiredState } from "../domain/gateway-config";
import { normaliseThumbprint } from "../domain/thumbprint";

export interface ApplyGatewayInput {
  readonly gatewayId: string;
  readonly desired: DesiredState;
}

export interface AppliedOutcome {
  readonly outcome: "written" | "inSync";
  readonly addedRevocations: readonly string[];
  readonly prunedRevocations: readonly string[];
  readonly rootsAdded: readonly string[];
  readonly revokedCount: number;
  readonly rootCount: number;
}

export function isApplied(result: ApplyGatewayOutcome): result is AppliedOutcome {
  return result.outcome === "written" || result.outcome === "inSync";
}

export type ApplyGatewayOutcome =
  | AppliedOutcome
  /** Retry later: the gateway is busy or throttling (wait at least retryAfterMs). */
  | { readonly outcome: "busy" | "throttled"; readonly retryAfterMs: number | undefined; readonly detail: string }
  /** Someone changed the gateway since the read, or the write did not stick: re-read and plan again. */
  | { readonly outcome: "conflict" | "unverified"; readonly detail: string }
  /** Cannot be applied without dropping something valid, or the gateway refused the object: alert. */
  | { readonly outcome: "capacity" | "rejected"; readonly detail: string };

export const applyGatewayState = defineActivity<ApplyGatewayInput, ApplyGatewayOutcome>(
  "applyGatewayState",
  async ({ gatewayId, desired }, context) => {
    const { gateways } = services();
    const ref = parseGatewayId(gatewayId);
    try {
      const before = await gateways.read(ref);
      const plan = planSync(before.state, desired);
      // A gateway whose last operation failed shows the object it was given, not what it enforces: write it again.
      const failed = before.provisioningState === "Failed";
      if (!plan.changed && !failed) {
        return {
          outcome: "inSync",
          addedRevocations: [],
          prunedRevocations: [],
          rootsAdded: [],
          revokedCount: before.state.revoked.length,
          rootCount: before.state.roots.length,
        };
      }
      context.log(
        `gateway ${ref.name}: writing +${plan.addedRevocations.length} revoked, -${plan.prunedRevocations.length} pruned, roots +${plan.rootsAdded.length} ~${plan.rootsUpdated.length}${failed ? " (after a failed operation)" : ""}`,
      );
      await gateways.write(ref, before, plan.next);
      const after = await gateways.read(ref);
      if (!satisfies(after.state, desired)) {
        return { outcome: "unverified", detail: "the gateway does not show the written state after the write" };
      }
      return {
        outcome: "written",
        // After a failed operation, every desired revocation is newly enforced now: their users' sessions are ended.
        addedRevocations: failed ? desired.revokedThumbprints.map(normaliseThumbprint) : plan.addedRevocations,
        prunedRevocations: plan.prunedRevocations,
        rootsAdded: [...plan.rootsAdded, ...plan.rootsUpdated],
        revokedCount: after.state.revoked.length,
        rootCount: after.state.roots.length,
      };
    } catch (error) {
      if (error instanceof GatewayCapacityError) return { outcome: "capacity", detail: error.message };
      if (error instanceof GatewayError) {
        switch (error.kind) {
          case "busy":
          case "throttled":
            return { outcome: error.kind, retryAfterMs: error.retryAfterMs, detail: error.message };
          case "preconditionFailed":
            return { outcome: "conflict", detail: error.message };
          case "invalid":
            return { outcome: "rejected", detail: error.message };
          case "notFound":
          case "other":
            break;
        }
      }
      throw error;
    }
  },
);
