// Timer gatewayReconcile: the safety net. Starts again every offboarding that failed, then starts (or wakes) every
// gateway's writer, which repairs drift (a revocation removed by hand comes back), prunes expired entries and applies
// anything a lost request missed.
import { app } from "@azure/functions";
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getConfig } from "../config";
import { raiseAlertNow } from "../activities/alert";
import { assertAllRequested, requestAllGatewayWriters } from "../clients/gateway-writer-starter";
import { restartFailedOffboardings } from "../clients/offboarding-restart";
import { writerInput } from "../domain/gateway-writer-input";

export async function gatewayReconcile(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const client = df.getClient(context);
  // First the offboardings that failed: they mark the ledger the writers then read.
  const writers = config.GATEWAY_RESOURCE_IDS.map((id) => writerInput(config, id));
  const restarts = await restartFailedOffboardings(client, writers);
  for (const r of restarts) {
    const what = `offboarding of ${r.upn ?? "?"} (request ${r.requestId ?? "?"}, instance ${r.instanceId})`;
    if (r.error === undefined) context.warn(`gatewayReconcile: failed ${what} ${r.outcome ?? "restarted"}`);
    else context.error(`gatewayReconcile: failed ${what} could not be restarted: ${r.error}`);
  }
  const outcomes = await requestAllGatewayWriters(client, config, "gatewayReconcile timer");
  for (const { gatewayId, result } of outcomes) {
    if (result === undefined) continue;
    const name = gatewayId.split("/").pop() ?? gatewayId;
    context.log(`gatewayReconcile: ${name} writer ${result}`);
    if (result === "suspended") {
      // Keyed by gateway and day: a writer left suspended is reported once a day, not every five minutes.
      await raiseAlertNow(
        {
          key: `writer-suspended:${gatewayId.toLowerCase()}:${new Date().toISOString().slice(0, 10)}`,
          severity: "warning",
          kind: "gateway",
          title: `Gateway ${name}: the writer is suspended`,
          detail: "revocations are queued and will not reach the gateway until an operator resumes the writer",
          subject: gatewayId,
        },
        {
          warn: (line) => {
            context.warn(line);
          },
          error: (line) => {
            context.error(line);
          },
        },
      );
    }
  }
  assertAllRequested(outcomes, "gatewayReconcile");
  const stuck = restarts.filter((r) => r.error !== undefined);
  if (stuck.length > 0) {
    throw new Error(
      `gatewayReconcile: ${stuck.length} failed offboarding(s) could not be restarted: ${stuck[0]?.error}`,
    );
  }
}

app.timer("gatewayReconcile", {
  schedule: "%GATEWAY_RECONCILE_SCHEDULE%",
  extraInputs: [df.input.durableClient()],
  handler: gatewayReconcile,
});
