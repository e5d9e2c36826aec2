// PLACEHOLDER (h-expiry) for h-tick's contract (session19-plan.md, "h-tick: lifecycle requests"): the signature only,
// so expiryCheck's renewal compiles before the contract commit is merged. On merge, take h-tick's file whole.
import type { DurableClient } from "durable-functions";

export type LifecycleAction = "onboard" | "offboard" | "reissue" | "renew";
export type LifecycleSource = "ticket" | "hr" | "entra" | "renewal";
export interface LifecycleSubmission {
  readonly source: LifecycleSource;
  readonly sourceKey: string;
  readonly action: LifecycleAction;
  readonly upn: string;
  readonly actor: string;
  readonly submitterObjectId?: string;
  readonly reason?: string;
  readonly lostDevice?: boolean;
  readonly callbackUrl?: string;
  readonly ticketId?: string;
}
export interface LifecycleStarted {
  readonly requestId: string;
  readonly instanceId: string;
  readonly started: boolean;
}

export function startLifecycleRequest(
  _client: DurableClient,
  submission: LifecycleSubmission,
  _now: Date,
): Promise<LifecycleStarted> {
  return Promise.reject(new Error(`lifecycle requests are not merged yet (${submission.action} ${submission.upn})`));
}
