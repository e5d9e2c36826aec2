// Timer gatewayReconcile: the safety net. Starts (or wakes) every gateway's writer, which repairs drift (a
// revocation removed by hand comes back), prunes expired entries and applies anything a lost request missed.
import { app } from "@azure/functions";
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getConfig } from "../config";
import { requestGatewayWriter } from "../clients/gateway-writer-starter";
import { writerInput } from "./gateway-writer-input";

export async function gatewayReconcile(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const client = df.getClient(context);
  for (const gatewayId of config.GATEWAY_RESOURCE_IDS) {
    const result = await requestGatewayWriter(client, writerInput(config, gatewayId), "gatewayReconcile timer");
    context.log(`gatewayReconcile: ${gatewayId.split("/").pop() ?? gatewayId} writer ${result}`);
  }
}

app.timer("gatewayReconcile", {
  schedule: "%GATEWAY_RECONCILE_SCHEDULE%",
  extraInputs: [df.input.durableClient()],
  handler: gatewayReconcile,
});
