// The safety net for offboardings: finds the ones that failed (after their retries and their critical alert) and
// starts them again under the same instance id, with the current gateways. Their steps are idempotent.
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { startOnce } from "./durable-start";
import type { StartOutcome } from "./durable-start";
import { OFFBOARDING_INSTANCE_PREFIX } from "./offboarding-start";
import type { GatewayWriterInput } from "../domain/gateway-writer-input";
import { OFFBOARD_USER_ORCHESTRATION } from "../orchestrations/offboard-user";
import type { OffboardInput } from "../orchestrations/offboard-user";

export interface OffboardingRestart {
  readonly instanceId: string;
  readonly upn?: string;
  readonly requestId?: string;
  readonly outcome?: StartOutcome;
  /** Why it could not be started again. */
  readonly error?: string;
}

export async function restartFailedOffboardings(
  client: DurableClient,
  writers: readonly GatewayWriterInput[],
): Promise<OffboardingRestart[]> {
  const failed = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Failed] });
  const restarts: OffboardingRestart[] = [];
  for (const instance of failed) {
    const { instanceId } = instance;
    if (instance.name !== OFFBOARD_USER_ORCHESTRATION || !instanceId.startsWith(OFFBOARDING_INSTANCE_PREFIX)) continue;
    let request: OffboardInput["request"] | undefined;
    try {
      // Listing need not carry inputs (Azure leaves them out unless asked): read this one's.
      const status = await client.getStatus(instanceId, { showInput: true });
      const previous = status.input as Partial<OffboardInput> | null | undefined;
      request = previous?.request;
      if (request === undefined) throw new Error("its input is missing");
      // Its request record goes along: a run that failed before writing it writes it on the restart.
      const record = previous?.record;
      const input: OffboardInput = {
        request: { ...request, gatewayIds: writers.map((w) => w.gatewayId) },
        writers,
        ...(record === undefined ? {} : { record }),
      };
      const outcome = await startOnce(client, OFFBOARD_USER_ORCHESTRATION, instanceId, input);
      restarts.push({ instanceId, upn: request.upn, requestId: request.requestId, outcome });
    } catch (error) {
      restarts.push({
        instanceId,
        ...(request === undefined ? {} : { upn: request.upn, requestId: request.requestId }),
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return restarts;
}
