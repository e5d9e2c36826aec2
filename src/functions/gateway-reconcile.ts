// Timer gatewayReconcile: the safety net. Starts (or wakes) every gateway's writer, which repairs drift (a
// revocation removed by hand comes back), prunes expired entries and applies anything a lost request missed.
import { app } from "@azure/functions";
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getConfig } from "../config";
import { sendAlert } from "../clients/alerts";
import { requestGatewayWriter } from "../clients/gateway-writer-starter";
import { writerInput } from "../domain/gateway-writer-input";

export async function gatewayReconcile(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const client = df.getClient(context);
  const failures: string[] = [];
  // Every gateway is tried, whatever happens to another one.
  for (const gatewayId of config.GATEWAY_RESOURCE_IDS) {
    const name = gatewayId.split("/").pop() ?? gatewayId;
    try {
      const result = await requestGatewayWriter(client, writerInput(config, gatewayId), "gatewayReconcile timer");
      context.log(`gatewayReconcile: ${name} writer ${result}`);
      if (result === "suspended") {
        await sendAlert(
          config,
          {
            severity: "warning",
            title: `Gateway ${name}: the writer is suspended`,
            detail: "revocations are queued and will not reach the gateway until an operator resumes the writer",
            subject: gatewayId,
          },
          (line) => {
            context.warn(line);
          },
        );
      }
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`gatewayReconcile could not reach every writer: ${failures.join("; ")}`);
}

app.timer("gatewayReconcile", {
  schedule: "%GATEWAY_RECONCILE_SCHEDULE%",
  extraInputs: [df.input.durableClient()],
  handler: gatewayReconcile,
});
