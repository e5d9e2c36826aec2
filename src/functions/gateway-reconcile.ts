// Timer gatewayReconcile: the safety net. Starts (or wakes) every gateway's writer, which repairs drift (a
// revocation removed by hand comes back), prunes expired entries and applies anything a lost request missed.
import { app } from "@azure/functions";
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getConfig } from "../config";
import { sendAlert } from "../clients/alerts";
import { assertAllRequested, requestAllGatewayWriters } from "../clients/gateway-writer-starter";

export async function gatewayReconcile(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const outcomes = await requestAllGatewayWriters(df.getClient(context), config, "gatewayReconcile timer");
  for (const { gatewayId, result } of outcomes) {
    if (result === undefined) continue;
    const name = gatewayId.split("/").pop() ?? gatewayId;
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
  }
  assertAllRequested(outcomes, "gatewayReconcile");
}

app.timer("gatewayReconcile", {
  schedule: "%GATEWAY_RECONCILE_SCHEDULE%",
  extraInputs: [df.input.durableClient()],
  handler: gatewayReconcile,
});
