// Timer profileRefresh (weekly by default): every gateway's profile is generated again and compared, because
// Microsoft can change a gateway's server root without any write of ours (the gateway certificate migration).
import { app } from "@azure/functions";
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getConfig } from "../config";
import { regeneratorInput, requestProfileRegeneration } from "../clients/profile-regenerator-starter";

export async function profileRefresh(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = getConfig();
  if (!config.PROFILES_ENABLED) {
    context.log("profileRefresh: PROFILES_ENABLED is false, nothing to do");
    return;
  }
  const client = df.getClient(context);
  const failures: string[] = [];
  for (const gatewayId of config.GATEWAY_RESOURCE_IDS) {
    const name = gatewayId.split("/").pop() ?? gatewayId;
    try {
      const result = await requestProfileRegeneration(
        client,
        regeneratorInput(config, gatewayId, "profileRefresh timer", true),
      );
      context.log(`profileRefresh: ${name} ${result}`);
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`profileRefresh could not reach every regenerator: ${failures.join("; ")}`);
}

app.timer("profileRefresh", {
  schedule: "%PROFILE_REFRESH_SCHEDULE%",
  extraInputs: [df.input.durableClient()],
  handler: profileRefresh,
});
