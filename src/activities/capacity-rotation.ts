// Activity: the capacity policy's root rotation. With ROOT_ROTATION_AUTO on it starts one (trigger `capacity`), or
// joins the one that runs; off, it only finds the running one, so the alert can say which rotation clears what was
// left off. One side effect at most (the start, itself idempotent: a start while one runs joins it). A failure is
// answered, not thrown: the critical alert must go out even when the rotation cannot be started or found.
import * as df from "durable-functions";
import { defineActivity } from "./define";
import { services } from "./services";
import { runningRotation, startRootRotation } from "../clients/root-rotation-start";
import type { CapacityRotation } from "../domain/capacity-alert";

export const CAPACITY_ACTOR = "system:capacity";

export interface CapacityRotationInput {
  /** Why (the gateway and what it lacks room for): the rotation's reason when one starts. */
  readonly reason: string;
  /** The orchestration's time (ISO 8601): the start's audit is keyed on it, so a re-delivery adds nothing. */
  readonly now: string;
}

export const rotationForCapacity = defineActivity<CapacityRotationInput, CapacityRotation>(
  "rotationForCapacity",
  async ({ reason, now }, context) => {
    const auto = services().config.ROOT_ROTATION_AUTO;
    const client = df.getClient(context);
    try {
      // The running rotation first: every writer pass over capacity asks, and joining it through a start would audit
      // a repeated request each time.
      const running = await runningRotation(client);
      if (running === undefined && auto) {
        const submission = { trigger: "capacity", actor: CAPACITY_ACTOR, reason } as const;
        const started = await startRootRotation(client, submission, new Date(now));
        return { auto, state: started.started ? "started" : "running", requestId: started.requestId };
      }
      if (running === undefined) return { auto, state: "none" };
      return {
        auto,
        state: "running",
        requestId: running.requestId,
        ...(running.step === undefined ? {} : { step: running.step }),
      };
    } catch (error) {
      const detail = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
      context.warn(`rotationForCapacity: ${detail}`);
      return { auto, state: "failed", detail };
    }
  },
  [df.input.durableClient()],
);
