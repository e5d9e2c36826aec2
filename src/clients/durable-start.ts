// Idempotent orchestration starts keyed by instance id: the same request never starts a second instance.
import type { DurableClient } from "durable-functions";

/** The instance's runtime status, or undefined when no instance has that id. */
export async function instanceStatus(client: DurableClient, instanceId: string): Promise<string | undefined> {
  try {
    return (await client.getStatus(instanceId)).runtimeStatus;
  } catch (error) {
    // durable-functions reports an unknown instance as an Error whose message carries the extension's 404.
    if (error instanceof Error && error.message.includes("HTTP 404")) return undefined;
    throw error;
  }
}

/**
 * Starts `orchestration` under `instanceId` unless an instance with that id already exists (whatever its state):
 * a repeated request answers with the existing instance.
 */
export async function startOnce(
  client: DurableClient,
  orchestration: string,
  instanceId: string,
  input: unknown,
): Promise<"started" | "existing"> {
  if ((await instanceStatus(client, instanceId)) !== undefined) return "existing";
  await client.startNew(orchestration, { instanceId, input });
  return "started";
}
