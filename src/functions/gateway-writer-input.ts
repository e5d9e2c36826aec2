// Builds a gateway writer's input from configuration (triggers read config; orchestrators do not).
import type { Config } from "../config";
import type { GatewayWriterInput } from "../domain/gateway-writer-input";

export function writerInput(config: Config, gatewayId: string): GatewayWriterInput {
  return {
    gatewayId,
    busyBackoffMs: config.GATEWAY_BUSY_BACKOFF_MS,
  };
}
