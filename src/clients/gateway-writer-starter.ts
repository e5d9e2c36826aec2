// Starts a gateway's single writer, or wakes it when it already runs. Called after the ledger has been marked, so
// whichever path is taken, the writer's next read of the ledger includes the change.
import type { DurableClient } from "durable-functions";
import { hasNotEnded, instanceStatus } from "./durable-start";
import { gatewayWriterInstanceId } from "../domain/gateway-writer-id";
import type { Config } from "../config";
import { writerInput } from "../domain/gateway-writer-input";
import type { GatewayWriterInput, WriterSettings } from "../domain/gateway-writer-input";

export const GATEWAY_WRITER_ORCHESTRATION = "gatewayWriter";
export const CHANGES_PENDING_EVENT = "changesPending";

/** The wake-up event: why, and the writer's current settings (a writer never ends, so it takes them from here). */
export interface ChangesPending {
  readonly reason: string;
  readonly settings?: GatewayWriterInput;
}

export type WriterRequestResult = "started" | "signalled" | "suspended";

export async function requestGatewayWriter(
  client: DurableClient,
  input: GatewayWriterInput,
  reason: string,
): Promise<WriterRequestResult> {
  const instanceId = gatewayWriterInstanceId(input.gatewayId);
  for (let attempt = 0; attempt < 3; attempt++) {
    const status = await instanceStatus(client, instanceId);
    // A writer that has not ended takes the event. A Suspended one queues it and runs when an operator resumes it
    // (starting a second one is impossible and would not help); gatewayReconcile reports it as suspended.
    if (hasNotEnded(status)) {
      const event: ChangesPending = { reason, settings: input };
      await client.raiseEvent(instanceId, CHANGES_PENDING_EVENT, event);
      // The writer may have been finishing when the event arrived (a finished instance drops it): check again and
      // start a fresh writer if so. A redundant writer pass is harmless; a missed one is not.
      const after = await instanceStatus(client, instanceId);
      if (after === "Suspended") return "suspended";
      if (hasNotEnded(after)) return "signalled";
      continue;
    }
    try {
      await client.startNew(GATEWAY_WRITER_ORCHESTRATION, { instanceId, input });
      return "started";
    } catch (error) {
      // Lost a start race with another caller: the instance now runs, so signal it on the next turn.
      if (attempt === 2) throw error;
    }
  }
  throw new Error(`could not start or signal the writer of ${input.gatewayId}`);
}

export interface WriterRequestOutcome {
  readonly gatewayId: string;
  readonly result?: WriterRequestResult;
  /** Why this gateway's writer could not be started or signalled. */
  readonly error?: string;
}

/** Starts or wakes the writer of every configured gateway; each is tried, whatever happens to another. */
export async function requestAllGatewayWriters(
  client: DurableClient,
  config: WriterSettings & Pick<Config, "GATEWAY_RESOURCE_IDS">,
  reason: string,
): Promise<WriterRequestOutcome[]> {
  const outcomes: WriterRequestOutcome[] = [];
  for (const gatewayId of config.GATEWAY_RESOURCE_IDS) {
    try {
      outcomes.push({ gatewayId, result: await requestGatewayWriter(client, writerInput(config, gatewayId), reason) });
    } catch (error) {
      outcomes.push({ gatewayId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcomes;
}

/** Throws naming every gateway whose writer could not be reached. */
export function assertAllRequested(outcomes: readonly WriterRequestOutcome[], what: string): void {
  const failures = outcomes.flatMap((o) =>
    o.error === undefined ? [] : [`${o.gatewayId.split("/").pop() ?? o.gatewayId}: ${o.error}`],
  );
  if (failures.length > 0) throw new Error(`${what} could not reach every writer: ${failures.join("; ")}`);
}
