// The durable status of a request's instance, reduced to what the request view reads (no input, no history).
import type { DurableClient } from "durable-functions";
import type { InstanceSnapshot } from "../domain/requests";

/** The instance's snapshot, or undefined when no instance has that id (never started, or purged). */
export async function instanceSnapshot(
  client: DurableClient,
  instanceId: string,
): Promise<InstanceSnapshot | undefined> {
  try {
    const status = await client.getStatus(instanceId, { showInput: false, showHistory: false });
    const updated = new Date(status.lastUpdatedTime);
    return {
      runtimeStatus: status.runtimeStatus,
      customStatus: status.customStatus,
      output: status.output,
      ...(Number.isNaN(updated.getTime()) ? {} : { lastUpdatedTime: updated }),
    };
  } catch (error) {
    // durable-functions reports an unknown instance as an Error whose message carries the extension's 404.
    if (error instanceof Error && error.message.includes("HTTP 404")) return undefined;
    throw error;
  }
}
