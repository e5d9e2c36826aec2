// Stores a piece of Entra work by starting its entraChange instance: the durable task hub is where a notification
// lives until it is processed, so the webhook can answer 202 as soon as the start is recorded.
import { createHash, randomUUID } from "node:crypto";
import type { DurableClient } from "durable-functions";
import type { EntraWork, EntraWorkInput } from "../activities/entra";
import { ENTRA_CHANGE_ORCHESTRATION } from "../orchestrations/entra-change";
import { startOnce } from "./durable-start";
import type { StartOutcome } from "./durable-start";

export const ENTRA_INSTANCE_PREFIX = "entra-";

/** An instance id from a delivery's own id (an Event Grid event id: a redelivery joins the same instance). */
export function entraInstanceId(kind: string, deliveryId: string = randomUUID()): string {
  return `${ENTRA_INSTANCE_PREFIX}${kind}-${createHash("sha256").update(deliveryId).digest("hex").slice(0, 32)}`;
}

export async function startEntraWork(
  client: DurableClient,
  work: EntraWork,
  actor: string,
  instanceId: string = entraInstanceId(work.kind),
): Promise<{ readonly instanceId: string; readonly outcome: StartOutcome }> {
  const input: EntraWorkInput = { work, actor, causeId: instanceId };
  return { instanceId, outcome: await startOnce(client, ENTRA_CHANGE_ORCHESTRATION, instanceId, input) };
}
