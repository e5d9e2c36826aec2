// The gateway writer's input: its gateway and timings (from configuration, passed in so the orchestrator reads none).
export interface GatewayWriterInput {
  readonly gatewayId: string;
  /** First wait after 409 AnotherOperationInProgress or 429; doubles up to 5 minutes. */
  readonly busyBackoffMs: number;
  /** Passes already made by earlier generations (continueAsNew), for the status only. */
  readonly generation?: number;
}
