// The gateway writer's input: its gateway and timings (from configuration, passed in so the orchestrator reads none).
import type { Config } from "../config";
import type { P2sCertificateState } from "./gateway-config";
export interface GatewayWriterInput {
  readonly gatewayId: string;
  /** First wait after 409 AnotherOperationInProgress or 429; doubles up to 5 minutes. */
  readonly busyBackoffMs: number;
  /** Wait after a wake-up before the first pass, so a burst of requests shares one write; 0 for none. */
  readonly coalesceMs: number;
  /** How long the gateway may refuse the writer (busy, throttled) before a warning alert. */
  readonly busyAlertMs: number;
  /** Passes already made by earlier generations (continueAsNew), for the status only. */
  readonly generation?: number;
  /**
   * True when this generation continues a stream of writes (the history trim) rather than answering a wake-up:
   * it has nothing to coalesce.
   */
  readonly continued?: boolean;
  /** Carried across the history trim of a long busy spell: since when (epoch ms) the gateway refuses the writer. */
  readonly busySince?: number;
  /** Carried likewise: the warning for this busy spell was raised already. */
  readonly busyAlerted?: boolean;
  /** Carried likewise: entries a concurrent write dropped that are still to be put back (gateway-restore). */
  readonly restore?: P2sCertificateState;
}

/** The settings a writer's input is made from. */
export type WriterSettings = Pick<Config, "GATEWAY_BUSY_BACKOFF_MS" | "GATEWAY_COALESCE_MS" | "GATEWAY_BUSY_ALERT_MS">;

/** A writer's input from the current configuration (triggers and activities read it; orchestrators do not). */
export function writerInput(config: WriterSettings, gatewayId: string): GatewayWriterInput {
  return {
    gatewayId,
    busyBackoffMs: config.GATEWAY_BUSY_BACKOFF_MS,
    coalesceMs: config.GATEWAY_COALESCE_MS,
    busyAlertMs: config.GATEWAY_BUSY_ALERT_MS,
  };
}
