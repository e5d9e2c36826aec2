// Starts a gateway's profile regenerator, or tells the running one that the gateway changed. An event that arrives
// while the regenerator is still debouncing is folded into that wait (its pass reads the gateway after the wait,
// so after this event's write): a burst of writes gives one regeneration.
import type { DurableClient } from "durable-functions";
import type { Config } from "../config";
import { hasNotEnded } from "./durable-start";
import { profileRegeneratorInstanceId } from "../domain/profile-regenerator-id";

export const PROFILE_REGENERATOR_ORCHESTRATION = "profileRegenerator";
export const PROFILE_CHANGED_EVENT = "profileChanged";

export interface ProfileRegeneratorInput {
  readonly gatewayId: string;
  readonly debounceMs: number;
  readonly keep: number;
  /** Regenerate and compare the package even when the configuration is unchanged (the weekly refresh). */
  readonly refresh: boolean;
  readonly reason: string;
}

export interface ProfileChanged {
  readonly reason: string;
  readonly refresh: boolean;
}

export type RegenerationRequest = "started" | "signalled" | "coalesced" | "disabled";

export function regeneratorInput(
  config: Pick<Config, "PROFILE_DEBOUNCE_MS" | "PROFILE_VERSIONS_KEPT">,
  gatewayId: string,
  reason: string,
  refresh = false,
): ProfileRegeneratorInput {
  return { gatewayId, debounceMs: config.PROFILE_DEBOUNCE_MS, keep: config.PROFILE_VERSIONS_KEPT, refresh, reason };
}

export async function requestProfileRegeneration(
  client: DurableClient,
  input: ProfileRegeneratorInput,
): Promise<RegenerationRequest> {
  const instanceId = profileRegeneratorInstanceId(input.gatewayId);
  for (let attempt = 0; attempt < 3; attempt++) {
    const status = await statusOf(client, instanceId);
    if (status !== undefined && hasNotEnded(status.runtimeStatus)) {
      if (!input.refresh && status.state === "debouncing") return "coalesced";
      const event: ProfileChanged = { reason: input.reason, refresh: input.refresh };
      await client.raiseEvent(instanceId, PROFILE_CHANGED_EVENT, event);
      // The regenerator may have been finishing when the event arrived (a finished instance drops it): check again
      // and start a fresh one if so. A redundant pass is harmless (it finds the fingerprint unchanged).
      const after = await statusOf(client, instanceId);
      if (hasNotEnded(after?.runtimeStatus)) return "signalled";
      continue;
    }
    try {
      await client.startNew(PROFILE_REGENERATOR_ORCHESTRATION, { instanceId, input });
      return "started";
    } catch (error) {
      // Lost a start race with another caller: the instance now runs, so signal it on the next turn.
      if (attempt === 2) throw error;
    }
  }
  throw new Error(`could not start or signal the profile regenerator of ${input.gatewayId}`);
}

async function statusOf(
  client: DurableClient,
  instanceId: string,
): Promise<{ runtimeStatus: string; state: unknown } | undefined> {
  try {
    const status = await client.getStatus(instanceId);
    const custom: unknown = status.customStatus;
    const state = typeof custom === "object" && custom !== null ? (custom as { state?: unknown }).state : undefined;
    return { runtimeStatus: status.runtimeStatus, state };
  } catch (error) {
    // durable-functions reports an unknown instance as an Error whose message carries the extension's 404.
    if (error instanceof Error && error.message.includes("HTTP 404")) return undefined;
    throw error;
  }
}
