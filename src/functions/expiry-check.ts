// Timer expiryCheck (EXPIRY_CHECK_SCHEDULE, daily): starts the expiryCheck orchestration, which judges root and
// client certificate expiry, renews, marks expired entries and watches revocation capacity at the orchestration's
// clock. Every step is keyed, so a second run (a retried timer, a manual run) raises and starts nothing twice.
import { app } from "@azure/functions";
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { startOnce } from "../clients/durable-start";
import { EXPIRY_CHECK_ORCHESTRATION } from "../orchestrations/expiry-check";

export async function expiryCheckTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const instanceId = `expiryCheck-${new Date().toISOString().replace(/[^0-9]/g, "")}`;
  const outcome = await startOnce(df.getClient(context), EXPIRY_CHECK_ORCHESTRATION, instanceId, {});
  context.log(`expiryCheck: ${instanceId} ${outcome}`);
}

app.timer("expiryCheck", {
  schedule: "%EXPIRY_CHECK_SCHEDULE%",
  extraInputs: [df.input.durableClient()],
  handler: expiryCheckTimer,
});
